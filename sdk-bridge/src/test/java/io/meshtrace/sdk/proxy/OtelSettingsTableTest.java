package io.meshtrace.sdk.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.sdk.CapturingHttpServer;
import io.meshtrace.sdk.MeshTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every OpenTelemetry setting sdk-bridge reads, fed through each entry point that reads
 * settings, with its effect checked on what the SDK does: where spans go and with what,
 * which headers it injects, how it samples. Entry points: {@link MeshTelemetry#fromProperties},
 * {@link MeshTelemetry#autoConfigured} (OpenTelemetry's autoconfigure with the meshtrace SPI),
 * and ExternalProxy's settings (system properties under its flags). The {@code OTEL_*}
 * environment variable names are checked by the agent and jar integration tests, which can set
 * a process environment.
 */
class OtelSettingsTableTest {

  private static CapturingHttpServer receiver;

  @BeforeAll
  static void startReceiver() throws Exception {
    receiver = new CapturingHttpServer(200);
  }

  @AfterAll
  static void stopReceiver() {
    receiver.close();
  }

  enum EntryPoint {
    FROM_PROPERTIES(MeshTelemetry::fromProperties),
    AUTO_CONFIGURED(MeshTelemetry::autoConfigured),
    EXTERNAL_PROXY(properties -> MeshTelemetry.create(ProxyConfig.parse(
        new String[] {"--gateway", "http://127.0.0.1:1"}, DefaultConfigProperties.createFromMap(properties)).mesh()));

    final Function<Map<String, String>, OpenTelemetrySdk> build;

    EntryPoint(Function<Map<String, String>, OpenTelemetrySdk> build) {
      this.build = build;
    }
  }

  /** What one span, exported and injected, showed. */
  record Effect(String describe, CapturingHttpServer.Captured export, Map<String, String> injected, boolean sampled) {
    String serviceName() throws Exception {
      for (KeyValue kv : ExportTraceServiceRequest.parseFrom(export.body())
          .getResourceSpans(0).getResource().getAttributesList()) {
        if (kv.getKey().equals("service.name")) {
          return kv.getValue().getStringValue();
        }
      }
      return null;
    }
  }

  interface Check {
    void accept(Effect effect) throws Exception;
  }

  static Stream<Arguments> rows() {
    return Stream.of(
        row("otel.service.name", Map.of("otel.service.name", "orders"),
            e -> assertThat(e.serviceName()).isEqualTo("orders")),
        row("otel.exporter.otlp.endpoint (http: /v1/traces appended)",
            Map.of("otel.exporter.otlp.endpoint", receiver.url("/collector")),
            e -> assertThat(e.export().path()).isEqualTo("/collector/v1/traces")),
        row("otel.exporter.otlp.headers (percent-decoded)",
            Map.of("otel.exporter.otlp.headers", "authorization=Bearer%20t0k3n,x-tenant=blue"),
            e -> {
              assertThat(e.export().header("authorization")).isEqualTo("Bearer t0k3n");
              assertThat(e.export().header("x-tenant")).isEqualTo("blue");
            }),
        row("otel.exporter.otlp.protocol=grpc", Map.of("otel.exporter.otlp.protocol", "grpc",
                "otel.exporter.otlp.endpoint", "http://127.0.0.1:1", "otel.exporter.otlp.timeout", "200ms"),
            e -> assertThat(e.describe()).contains("OtlpGrpcSpanExporter").doesNotContain("OtlpHttpSpanExporter")),
        row("otel.exporter.otlp.timeout", Map.of("otel.exporter.otlp.timeout", "3s"),
            e -> assertThat(e.describe()).contains("timeoutNanos=3000000000")),
        row("otel.exporter.zipkin.endpoint", Map.of("otel.traces.exporter", "zipkin",
                "otel.exporter.zipkin.endpoint", receiver.url("/zipkin/api/v2/spans")),
            e -> {
              assertThat(e.export().path()).isEqualTo("/zipkin/api/v2/spans");
              assertThat(new String(e.export().body(), java.nio.charset.StandardCharsets.UTF_8))
                  .contains("\"serviceName\":\"table\"");
            }),
        row("otel.traces.sampler + .arg (a ratio)",
            Map.of("otel.traces.sampler", "parentbased_traceidratio", "otel.traces.sampler.arg", "0.25"),
            e -> assertThat(e.describe()).contains("ParentBased{root:TraceIdRatioBased{0.250000}")),
        row("otel.traces.sampler=always_off", Map.of("otel.traces.sampler", "always_off",
                "otel.traces.exporter", "none"),
            e -> assertThat(e.sampled()).isFalse()),
        row("otel.propagators=b3multi", Map.of("otel.propagators", "b3multi"),
            e -> assertThat(e.injected()).containsOnlyKeys("x-b3-traceid", "x-b3-spanid", "x-b3-sampled")),
        row("otel.propagators=tracecontext", Map.of("otel.propagators", "tracecontext"),
            e -> assertThat(e.injected()).containsOnlyKeys("traceparent")),
        row("otel.propagators=meshtrace + meshtrace.mesh.version",
            Map.of("otel.propagators", "meshtrace", "meshtrace.mesh.version", "1.18.0.124"),
            e -> assertThat(e.injected()).containsOnlyKeys("x-b3-traceid", "x-b3-spanid", "x-b3-sampled")));
  }

  private static Arguments row(String name, Map<String, String> keys, Check check) {
    return Arguments.of(name, keys, check);
  }

  static Stream<Arguments> cases() {
    return rows().flatMap(row -> Stream.of(EntryPoint.values())
        .map(entry -> Arguments.of(entry, row.get()[0], row.get()[1], row.get()[2])));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cases")
  void otelKey_eachEntryPoint_takesEffect(EntryPoint entry, String name, Map<String, String> keys, Check check)
      throws Exception {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("otel.service.name", "table");
    properties.put("otel.traces.exporter", "otlp");
    properties.put("otel.exporter.otlp.protocol", "http/protobuf");
    properties.put("otel.exporter.otlp.endpoint", receiver.url(""));
    properties.put("otel.bsp.schedule.delay", "10");
    properties.putAll(keys);
    receiver.clear();
    try (OpenTelemetrySdk sdk = entry.build.apply(properties)) {
      Span span = sdk.getTracer("table").spanBuilder("GET /table").startSpan();
      Map<String, String> injected = new HashMap<>();
      sdk.getPropagators().getTextMapPropagator().inject(Context.root().with(span), injected,
          (carrier, key, value) -> carrier.put(key.toLowerCase(java.util.Locale.ROOT), value));
      span.end();
      String describe = sdk.getSdkTracerProvider().toString();
      boolean exports = !"none".equals(properties.get("otel.traces.exporter"))
          && !"grpc".equals(properties.get("otel.exporter.otlp.protocol"))
          && span.getSpanContext().isSampled();
      CapturingHttpServer.Captured export = null;
      if (exports) {
        sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
        export = receiver.take();
      }
      check.accept(new Effect(describe, export, injected, span.getSpanContext().isSampled()));
    }
  }

  /** A Zipkin query API answering no traces, recording each query. */
  private static final class ZipkinStandIn implements AutoCloseable {
    final com.sun.net.httpserver.HttpServer server;
    final java.util.List<String> queries = new java.util.concurrent.CopyOnWriteArrayList<>();

    ZipkinStandIn() throws java.io.IOException {
      server = com.sun.net.httpserver.HttpServer.create(
          new java.net.InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", exchange -> {
        queries.add(exchange.getRequestURI().toString());
        byte[] body = "[]".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
    }

    String base() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** check-propagation, the fourth entry point: the otel.* keys it reads and what wins. */
  static Stream<Arguments> checkRows() {
    return Stream.of(
        Arguments.of("otel.exporter.zipkin.endpoint names the span intake: read at its base",
            Map.of("otel.exporter.zipkin.endpoint", "{zipkin}/api/v2/spans"), new String[0],
            0, "/api/v2/traces?", null),
        Arguments.of("otel.exporter.zipkin.endpoint under a path prefix",
            Map.of("otel.exporter.zipkin.endpoint", "{zipkin}/zipkin/api/v2/spans"),
            new String[0], 0, "/zipkin/api/v2/traces?", null),
        Arguments.of("otel.service.name: that service's traces first",
            Map.of("otel.exporter.zipkin.endpoint", "{zipkin}/api/v2/spans",
                "otel.service.name", "orders"), new String[0], 0, "/api/v2/traces?",
            "serviceName=orders"),
        Arguments.of("--service wins over otel.service.name",
            Map.of("otel.exporter.zipkin.endpoint", "{zipkin}/api/v2/spans",
                "otel.service.name", "orders"), new String[] {"--service", "billing"}, 0,
            "/api/v2/traces?", "serviceName=billing"),
        Arguments.of("--zipkin wins over otel.exporter.zipkin.endpoint",
            Map.of("otel.exporter.zipkin.endpoint", "http://127.0.0.1:1/api/v2/spans"),
            new String[] {"--zipkin", "{zipkin}"}, 0, "/api/v2/traces?", null),
        Arguments.of("otel.exporter.zipkin.timeout not a duration: usage error naming the key",
            Map.of("otel.exporter.zipkin.endpoint", "{zipkin}/api/v2/spans",
                "otel.exporter.zipkin.timeout", "-5s"), new String[0], 2, null,
            "otel.exporter.zipkin.timeout"),
        Arguments.of("otel.exporter.zipkin.endpoint not a URL: usage error naming the key",
            Map.of("otel.exporter.zipkin.endpoint", "zipkin:9411"), new String[0], 2, null,
            "otel.exporter.zipkin.endpoint=zipkin:9411"),
        Arguments.of("neither --zipkin nor otel.exporter.zipkin.endpoint",
            Map.of(), new String[0], 2, null, "--zipkin is required (or otel.exporter.zipkin.endpoint)"));
  }

  @ParameterizedTest(name = "check-propagation: {0}")
  @MethodSource("checkRows")
  void otelKey_checkPropagation_takesEffect(String name, Map<String, String> keys, String[] flags,
      int exit, String queriedPath, String seen) throws Exception {
    try (ZipkinStandIn zipkin = new ZipkinStandIn()) {
      Map<String, String> properties = new HashMap<>();
      keys.forEach((k, v) -> properties.put(k, v.replace("{zipkin}", zipkin.base())));
      java.util.List<String> args = new java.util.ArrayList<>();
      for (String f : flags) {
        args.add(f.replace("{zipkin}", zipkin.base()));
      }
      java.io.ByteArrayOutputStream output = new java.io.ByteArrayOutputStream();
      java.io.PrintStream stream = new java.io.PrintStream(output, true,
          java.nio.charset.StandardCharsets.UTF_8);
      io.meshtrace.sdk.check.PropagationCheck check = new io.meshtrace.sdk.check.PropagationCheck(
          stream, stream, DefaultConfigProperties.createFromMap(properties));
      int code = io.meshtrace.sdk.check.PropagationCheck.run(args.toArray(new String[0]), check,
          stream, stream);
      String text = output.toString(java.nio.charset.StandardCharsets.UTF_8);
      assertThat(code).as(text).isEqualTo(exit);
      if (queriedPath != null) {
        assertThat(zipkin.queries).as(text).isNotEmpty()
            .allMatch(q -> q.startsWith(queriedPath));
        if (seen != null) {
          assertThat(zipkin.queries.get(0)).contains(seen);
        }
      } else {
        assertThat(zipkin.queries).isEmpty();
        assertThat(text).contains(seen);
      }
    }
  }
}
