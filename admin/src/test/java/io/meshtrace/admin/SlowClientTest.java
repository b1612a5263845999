package io.meshtrace.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slowloris beside health probes: a few raw connections trickle a request one byte a second
 * while {@code /healthz}, {@code /readyz} and {@code /metrics} must keep answering within 1 s,
 * and the trickling connections are closed once their request deadline passes.
 */
class SlowClientTest {

  private static final int SLOW_CLIENTS = 6;
  private static final String REQUEST = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      + "X-Padding: " + "a".repeat(64) + "\r\n\r\n";

  @Test
  @Timeout(30)
  void slowClients_healthStillAnswersWithinOneSecond_slowOnesClosedAtTheDeadline()
      throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    ExecutorService slow = Executors.newFixedThreadPool(SLOW_CLIENTS);
    try (AdminServer server = AdminServer.builder("test").address("127.0.0.1", 0)
        .registry(registry).requestTimeout(Duration.ofSeconds(2)).start()) {
      List<Future<Long>> closedAfter = new ArrayList<>();
      for (int i = 0; i < SLOW_CLIENTS; i++) {
        closedAfter.add(slow.submit(() -> trickle(server.port())));
      }
      Thread.sleep(300); // every slow connection has sent its first byte and holds a thread

      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      int probes = 0;
      long worstMillis = 0;
      while (System.nanoTime() < end) {
        for (String path : new String[] {"/healthz", "/readyz", "/metrics"}) {
          long start = System.nanoTime();
          HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + server.port() + path))
              .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
          worstMillis = Math.max(worstMillis,
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
          assertThat(r.statusCode()).as(path).isEqualTo(200);
          probes++;
        }
        Thread.sleep(100);
      }
      assertThat(probes).isGreaterThan(9);
      assertThat(worstMillis).as("slowest probe, ms").isLessThan(1000);

      for (Future<Long> f : closedAfter) {
        long millis = f.get(10, TimeUnit.SECONDS);
        assertThat(millis).as("slow connection closed by the server after, ms")
            .isBetween(1500L, 4000L);
      }
      String metrics = client.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("meshtrace_admin_requests_timed_out_total " + SLOW_CLIENTS
          + ".0");
    } finally {
      slow.shutdownNow();
    }
  }

  /** Sends the request one byte a second; returns how long until the server closed. */
  private static long trickle(int port) throws Exception {
    long start = System.nanoTime();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(100);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      byte[] bytes = REQUEST.getBytes(StandardCharsets.US_ASCII);
      for (byte b : bytes) {
        try {
          out.write(b);
          out.flush();
        } catch (java.io.IOException closed) {
          return elapsed(start);
        }
        long nextByte = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() < nextByte) {
          try {
            if (in.read() < 0) {
              return elapsed(start);
            }
          } catch (java.net.SocketTimeoutException quiet) {
            // nothing from the server yet: keep trickling
          } catch (java.io.IOException reset) {
            return elapsed(start);
          }
        }
      }
    }
    throw new AssertionError("the server let a request take " + elapsed(start) + " ms");
  }

  private static long elapsed(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }
}
