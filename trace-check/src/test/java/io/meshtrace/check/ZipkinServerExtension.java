package io.meshtrace.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Zipkin server ({@code io.zipkin:zipkin-server:exec}, copied to
 * {@code target/zipkin/zipkin.jar} by the build) on 127.0.0.1, started once for the whole
 * test run and stopped when the run ends. Register with
 * {@code @RegisterExtension static final ZipkinServerExtension ZIPKIN = new ZipkinServerExtension();}.
 */
public final class ZipkinServerExtension implements BeforeAllCallback {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ZipkinServerExtension.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private volatile ZipkinProcess process;

  @Override
  public void beforeAll(ExtensionContext context) {
    process = context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent("zipkin", key -> ZipkinProcess.start(), ZipkinProcess.class);
  }

  /** e.g. {@code http://127.0.0.1:41234} */
  public String baseUrl() {
    return "http://127.0.0.1:" + process.port;
  }

  /**
   * The spans of {@code traceId} once at least {@code minSpans} arrived (polls up to 15 s);
   * fails the test otherwise.
   */
  public JsonNode awaitTrace(String traceId, int minSpans) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = get("/api/v2/trace/" + traceId);
      last = response.statusCode() + " " + response.body();
      if (response.statusCode() == 200) {
        JsonNode spans = JSON.readTree(response.body());
        if (spans.size() >= minSpans) {
          return spans;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("trace " + traceId + " did not reach " + minSpans + " spans in Zipkin: " + last);
  }

  /** GET a path of the Zipkin API. */
  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static final class ZipkinProcess implements AutoCloseable {
    final Process process;
    final int port;

    private ZipkinProcess(Process process, int port) {
      this.process = process;
      this.port = port;
    }

    static ZipkinProcess start() {
      String jar = System.getProperty("meshtrace.zipkin.jar", "target/zipkin/zipkin.jar");
      if (!new File(jar).isFile()) {
        throw new IllegalStateException("Zipkin server jar not found at " + jar
            + ": the build copies io.zipkin:zipkin-server:exec there in generate-test-resources");
      }
      List<String> failures = new ArrayList<>();
      // A port picked free can be taken before Zipkin binds it: try a few.
      for (int attempt = 0; attempt < 3; attempt++) {
        int port = freePort();
        Path log = new File(jar).toPath().resolveSibling("zipkin-" + port + ".log");
        Process process;
        try {
          process = new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx128m", "-XX:TieredStopAtLevel=1", "-jar", jar,
                  "--armeria.ports[0].port=" + port,
                  "--armeria.ports[0].ip=127.0.0.1",
                  "--armeria.ports[0].protocols=http")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
        } catch (IOException e) {
          throw new IllegalStateException("cannot start Zipkin: " + e, e);
        }
        ZipkinProcess zipkin = new ZipkinProcess(process, port);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        if (zipkin.awaitHealthy(Duration.ofSeconds(60))) {
          return zipkin;
        }
        zipkin.close();
        failures.add("port " + port + ": " + tail(log));
      }
      throw new IllegalStateException("Zipkin did not become healthy: " + failures);
    }

    private boolean awaitHealthy(Duration timeout) {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && process.isAlive()) {
        try {
          HttpResponse<String> health = client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                  .timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.ofString());
          if (health.statusCode() == 200 && health.body().contains("UP")) {
            return true;
          }
        } catch (IOException e) {
          // not listening yet
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return false;
    }

    private static int freePort() {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        return socket.getLocalPort();
      } catch (IOException e) {
        throw new IllegalStateException("no free port on 127.0.0.1: " + e, e);
      }
    }

    private static String tail(Path log) {
      try {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
