package io.meshtrace.sdk.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.sdk.CapturingHttpServer;
import io.meshtrace.sdk.OtlpGrpcReceiver;
import io.meshtrace.check.ZipkinServerExtension;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shaded {@code target/external-proxy.jar} run as its own JVM: the merged
 * {@code META-INF/services} must still find the OTLP senders and the sub-command must work.
 */
class ExternalProxyJarIT {

  @RegisterExtension static final ZipkinServerExtension ZIPKIN = new ZipkinServerExtension();

  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  @ParameterizedTest
  @ValueSource(strings = {"otlp-http", "otlp-grpc"})
  void jar_proxiesWithB3_andExportsOverOtlpWithHeaders(String exporter) throws Exception {
    try (CapturingHttpServer gateway = new CapturingHttpServer(200);
        CapturingHttpServer otlpHttp = new CapturingHttpServer(200);
        OtlpGrpcReceiver otlpGrpc = new OtlpGrpcReceiver()) {
      String endpoint = exporter.equals("otlp-http")
          ? otlpHttp.url("/v1/traces")
          : "http://127.0.0.1:" + otlpGrpc.port();
      JarProcess proxy = JarProcess.start("--port", "0", "--bind", "127.0.0.1", "--gateway", gateway.url("/"),
          "--service", "edge-jar", "--exporter", exporter, "--endpoint", endpoint,
          "--exporter-headers", "authorization=Bearer jar-token", "--exporter-delay", "100ms");
      try {
        int port = proxy.awaitPort();
        HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jar?x=1")).timeout(Duration.ofSeconds(15)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(proxy.output()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("OK\n");
        String traceId = response.headers().firstValue(ExternalProxy.TRACE_ID_HEADER).orElseThrow();

        CapturingHttpServer.Captured forwarded = gateway.take();
        assertThat(forwarded.path()).isEqualTo("/jar");
        assertThat(forwarded.header("x-b3-traceid")).isEqualTo(traceId);
        assertThat(forwarded.header("x-b3-spanid")).matches("[0-9a-f]{16}");
        assertThat(forwarded.header("x-b3-sampled")).isEqualTo("1");
        assertThat(forwarded.header("x-request-id")).isNotBlank();

        ExportTraceServiceRequest export;
        if (exporter.equals("otlp-http")) {
          CapturingHttpServer.Captured captured = otlpHttp.take();
          assertThat(captured.header("authorization")).isEqualTo("Bearer jar-token");
          export = ExportTraceServiceRequest.parseFrom(captured.body());
        } else {
          OtlpGrpcReceiver.Received received = otlpGrpc.take();
          assertThat(received.header("authorization")).isEqualTo("Bearer jar-token");
          export = received.request();
        }
        Span span = export.getResourceSpans(0).getScopeSpans(0).getSpans(0);
        assertThat(span.getName()).isEqualTo("GET /jar");
        assertThat(HexFormat.of().formatHex(span.getTraceId().toByteArray())).isEqualTo(traceId);
        assertThat(HexFormat.of().formatHex(span.getSpanId().toByteArray())).isEqualTo(forwarded.header("x-b3-spanid"));
        assertThat(export.getResourceSpans(0).getResource().getAttributesList())
            .extracting(KeyValue::getKey, kv -> kv.getValue().getStringValue())
            .contains(org.assertj.core.groups.Tuple.tuple("service.name", "edge-jar"));
      } finally {
        proxy.stop();
      }
    }
  }

  @Test
  void jar_checkPropagation_subCommandReadsZipkin() throws Exception {
    JarProcess ok = JarProcess.start("check-propagation", "--zipkin", ZIPKIN.baseUrl(),
        "--service", "nobody-calls-this", "--lookback", "1m");
    assertThat(ok.awaitExit()).as(ok.output()).isZero();
    assertThat(ok.output()).contains("check-propagation: ", "OK: no broken hops found");

    JarProcess bad = JarProcess.start("check-propagation", "--zipkin", ZIPKIN.baseUrl(), "--lookback", "soon");
    assertThat(bad.awaitExit()).isEqualTo(2);
    assertThat(bad.output()).contains("--lookback=soon: must be a duration");
  }

  @Test
  void jar_badFlag_exit2NamingTheFlag() throws Exception {
    JarProcess bad = JarProcess.start("--gateway", "http://127.0.0.1:1", "--exporter", "jaeger");
    assertThat(bad.awaitExit()).isEqualTo(2);
    assertThat(bad.output()).contains(
        "--exporter=jaeger: must be one of zipkin, zipkin-proto, zipkin-v1, otlp-grpc, otlp-http, none");
  }

  /** The jar's command line: help and version exit 0, a bad flag exits 2 naming it. */
  @Test
  void jar_helpVersionBadFlag() throws Exception {
    record Row(List<String> args, int exit, String output) {}
    for (Row row : List.of(
        new Row(List.of("--help"), 0, "usage: external-proxy"),
        new Row(List.of("check-propagation", "--help"), 0, "usage: external-proxy check-propagation"),
        new Row(List.of("--version"), 0, "external-proxy "),
        new Row(List.of("--nope=1"), 2, "--nope"),
        new Row(List.of("check-propagation", "--nope"), 2, "--nope"))) {
      JarProcess p = JarProcess.start(row.args().toArray(new String[0]));
      assertThat(p.awaitExit()).as(row + ": " + p.output()).isEqualTo(row.exit());
      assertThat(p.output()).as(row.toString()).contains(row.output());
    }
  }

  /** {@code java -jar target/external-proxy.jar args...} with its output collected. */
  static final class JarProcess {
    private final Process process;
    private final List<String> lines = new ArrayList<>();

    private JarProcess(Process process) {
      this.process = process;
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            synchronized (lines) {
              lines.add(line);
              lines.notifyAll();
            }
          }
        } catch (IOException e) {
          // process ended
        }
      }, "jar-output");
      reader.setDaemon(true);
      reader.start();
    }

    static JarProcess start(String... args) throws IOException {
      String jar = System.getProperty("meshtrace.proxy.jar", "target/external-proxy.jar");
      if (!new File(jar).isFile()) {
        throw new IllegalStateException(jar + " not found: the package phase builds it before integration tests");
      }
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-jar", jar));
      command.addAll(List.of(args));
      return new JarProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    int awaitPort() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      synchronized (lines) {
        while (System.nanoTime() < deadline) {
          for (String line : lines) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
              return Integer.parseInt(m.group(1));
            }
          }
          if (!process.isAlive() && lines.size() > 0) {
            break;
          }
          lines.wait(200);
        }
      }
      throw new AssertionError("external-proxy.jar did not start listening: " + output());
    }

    int awaitExit() throws InterruptedException {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("external-proxy.jar did not exit: " + output());
      }
      // let the reader drain the last lines
      Thread.sleep(100);
      return process.exitValue();
    }

    String output() {
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }

    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}
