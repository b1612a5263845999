package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurablePropagatorProvider;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The SPI path: OpenTelemetry's autoconfigure finds the meshtrace propagator and exporter. */
class AutoConfigurationTest {

  @Test
  void serviceLoader_findsMeshtracePropagatorAndExporter() {
    assertThat(ServiceLoader.load(ConfigurablePropagatorProvider.class).stream()
        .map(p -> p.get().getName())).contains("meshtrace");
    assertThat(ServiceLoader.load(ConfigurableSpanExporterProvider.class).stream()
        .map(p -> p.get().getName())).contains("meshtrace");
  }

  @Test
  void autoConfigured_otelAndMeshtraceKeys_propagatorExporterAndResourceFromThem() throws Exception {
    try (CapturingHttpServer receiver = new CapturingHttpServer(202)) {
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("otel.service.name", "ratings");
      properties.put("meshtrace.service.namespace", "bookinfo");
      properties.put("meshtrace.propagation", "b3");
      properties.put("otel.traces.exporter", "meshtrace");
      properties.put("meshtrace.exporter.zipkin.encoding", "json-v1");
      properties.put("otel.exporter.zipkin.endpoint", receiver.url("/api/v1/spans"));
      properties.put("otel.bsp.schedule.delay", "50");
      try (OpenTelemetrySdk sdk = MeshTelemetry.autoConfigured(properties)) {
        Span span = sdk.getTracer("test").spanBuilder("GET /ratings/0").setSpanKind(SpanKind.SERVER).startSpan();
        Map<String, String> headers = new LinkedHashMap<>();
        sdk.getPropagators().getTextMapPropagator().inject(
            io.opentelemetry.context.Context.root().with(span), headers, Map::put);
        span.end();
        sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);

        assertThat(headers).containsOnlyKeys("b3");
        assertThat(headers.get("b3")).startsWith(span.getSpanContext().getTraceId() + "-");
        CapturingHttpServer.Captured captured = receiver.take();
        assertThat(captured.path()).isEqualTo("/api/v1/spans");
        JsonNode v1 = new ObjectMapper().readTree(captured.body()).get(0);
        assertThat(v1.get("annotations").findValuesAsText("value")).contains("sr", "ss");
        assertThat(v1.get("annotations").get(0).path("endpoint").path("serviceName").asText())
            .isEqualTo("ratings.bookinfo");
      }
    }
  }

  @Test
  void autoConfigured_otelPropagatorsList_meshtraceCombinesWithBuiltIns() {
    try (OpenTelemetrySdk sdk = MeshTelemetry.autoConfigured(Map.of(
        "otel.service.name", "reviews",
        "otel.propagators", "baggage,meshtrace",
        "meshtrace.mesh.version", "1.18.0.124",
        "otel.traces.exporter", "none"))) {
      assertThat(sdk.getPropagators().getTextMapPropagator().fields())
          .contains("baggage", "X-B3-TraceId", "X-B3-SpanId", "x-request-id")
          .doesNotContain("traceparent");
    }
  }
}
