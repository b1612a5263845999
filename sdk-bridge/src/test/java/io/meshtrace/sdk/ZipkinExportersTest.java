package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshtrace.check.ZipkinServerExtension;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ZipkinExportersTest {

  @RegisterExtension static final ZipkinServerExtension ZIPKIN = new ZipkinServerExtension();

  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @EnumSource(value = ExportProtocol.class, names = {"ZIPKIN_JSON", "ZIPKIN_PROTO", "ZIPKIN_V1_JSON"})
  void export_toRealZipkin_storesLinkedSpansWithMeshServiceName(ExportProtocol protocol) throws Exception {
    String path = protocol == ExportProtocol.ZIPKIN_V1_JSON ? "/api/v1/spans" : "/api/v2/spans";
    MeshSettings settings = MeshSettings.of("reviews").withNamespace("bookinfo")
        .withExporter(MeshSettings.Exporter.of(protocol, ZIPKIN.baseUrl() + path));
    String traceId;
    String parentId;
    String childId;
    try (OpenTelemetrySdk sdk = MeshTelemetry.create(settings)) {
      Tracer tracer = sdk.getTracer("test");
      Span parent = tracer.spanBuilder("GET /reviews/0").setSpanKind(SpanKind.SERVER).startSpan();
      try (Scope ignored = parent.makeCurrent()) {
        Span child = tracer.spanBuilder("GET /ratings/0").setSpanKind(SpanKind.CLIENT)
            .setAttribute("protocol", protocol.configName()).startSpan();
        childId = child.getSpanContext().getSpanId();
        child.end();
      } finally {
        parent.end();
      }
      traceId = parent.getSpanContext().getTraceId();
      parentId = parent.getSpanContext().getSpanId();
      assertThat(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }

    JsonNode spans = ZIPKIN.awaitTrace(traceId, 2);
    Map<String, JsonNode> byId = new HashMap<>();
    for (JsonNode span : spans) {
      byId.put(span.get("id").asText(), span);
    }
    assertThat(byId).containsKeys(parentId, childId);
    JsonNode parent = byId.get(parentId);
    JsonNode child = byId.get(childId);
    assertThat(parent.get("name").asText()).isEqualTo("get /reviews/0");
    assertThat(parent.get("kind").asText()).isEqualTo("SERVER");
    assertThat(parent.has("parentId")).isFalse();
    assertThat(child.get("parentId").asText()).isEqualTo(parentId);
    assertThat(child.get("kind").asText()).isEqualTo("CLIENT");
    assertThat(child.path("tags").path("protocol").asText()).isEqualTo(protocol.configName());
    assertThat(parent.path("localEndpoint").path("serviceName").asText()).isEqualTo("reviews.bookinfo");
  }

  @Test
  void zipkinV1Json_wireFormat_isV1SpansWithAnnotations() throws Exception {
    try (CapturingHttpServer receiver = new CapturingHttpServer(202)) {
      Captured body = export(ExportProtocol.ZIPKIN_V1_JSON, receiver.url("/api/v1/spans"), receiver);
      assertThat(body.request().path()).isEqualTo("/api/v1/spans");
      assertThat(body.request().header("content-type")).startsWith("application/json");
      JsonNode spans = JSON.readTree(body.request().body());
      assertThat(spans.isArray()).isTrue();
      JsonNode span = spans.get(0);
      // v1: 16/32-hex ids, annotations cs/cr carrying the endpoint, no localEndpoint / kind.
      assertThat(span.get("traceId").asText()).isEqualTo(body.traceId());
      assertThat(span.get("id").asText()).isEqualTo(body.spanId());
      assertThat(span.has("localEndpoint")).isFalse();
      assertThat(span.has("kind")).isFalse();
      assertThat(span.get("annotations").findValuesAsText("value")).contains("cs", "cr");
      assertThat(span.get("annotations").get(0).path("endpoint").path("serviceName").asText())
          .isEqualTo("productpage");
      assertThat(span.get("binaryAnnotations").findValuesAsText("key")).contains("peer.service");
    }
  }

  @Test
  void zipkinV2Json_wireFormat_isV2Spans() throws Exception {
    try (CapturingHttpServer receiver = new CapturingHttpServer(202)) {
      Captured body = export(ExportProtocol.ZIPKIN_JSON, receiver.url("/api/v2/spans"), receiver);
      assertThat(body.request().header("content-type")).startsWith("application/json");
      JsonNode span = JSON.readTree(body.request().body()).get(0);
      assertThat(span.get("kind").asText()).isEqualTo("CLIENT");
      assertThat(span.path("localEndpoint").path("serviceName").asText()).isEqualTo("productpage");
      assertThat(span.path("remoteEndpoint").path("serviceName").asText()).isEqualTo("reviews");
    }
  }

  @Test
  void zipkinProto_wireFormat_isProtobuf() throws Exception {
    try (CapturingHttpServer receiver = new CapturingHttpServer(202)) {
      Captured body = export(ExportProtocol.ZIPKIN_PROTO, receiver.url("/api/v2/spans"), receiver);
      assertThat(body.request().header("content-type")).isEqualTo("application/x-protobuf");
      // ListOfSpans: field 1 (spans), length-delimited.
      assertThat(body.request().body()[0]).isEqualTo((byte) 0x0a);
      assertThat(new String(body.request().body(), java.nio.charset.StandardCharsets.ISO_8859_1))
          .contains("productpage", "GET /reviews/0".toLowerCase(java.util.Locale.ROOT));
    }
  }

  @ParameterizedTest
  @EnumSource(value = ExportProtocol.class, names = {"ZIPKIN_JSON", "ZIPKIN_PROTO", "ZIPKIN_V1_JSON"})
  void zipkin_withHeaders_sendsThemAndRealZipkinStillAccepts(ExportProtocol protocol) throws Exception {
    String path = protocol == ExportProtocol.ZIPKIN_V1_JSON ? "/api/v1/spans" : "/api/v2/spans";
    try (CapturingHttpServer receiver = new CapturingHttpServer(202)) {
      MeshSettings settings = MeshSettings.of("productpage").withExporter(
          MeshSettings.Exporter.of(protocol, receiver.url(path)).withHeaders(Map.of("authorization", "Bearer zipkin-key")));
      try (OpenTelemetrySdk sdk = MeshTelemetry.create(settings)) {
        sdk.getTracer("test").spanBuilder("GET /").startSpan().end();
        sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
      }
      CapturingHttpServer.Captured captured = receiver.take();
      assertThat(captured.path()).isEqualTo(path);
      assertThat(captured.header("authorization")).isEqualTo("Bearer zipkin-key");
      assertThat(captured.header("content-type"))
          .isEqualTo(protocol == ExportProtocol.ZIPKIN_PROTO ? "application/x-protobuf" : "application/json");
    }

    MeshSettings settings = MeshSettings.of("header-" + protocol.configName()).withExporter(
        MeshSettings.Exporter.of(protocol, ZIPKIN.baseUrl() + path).withHeaders(Map.of("authorization", "Bearer zipkin-key")));
    String traceId;
    try (OpenTelemetrySdk sdk = MeshTelemetry.create(settings)) {
      Span span = sdk.getTracer("test").spanBuilder("GET /with-header").startSpan();
      span.end();
      traceId = span.getSpanContext().getTraceId();
      assertThat(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
    assertThat(ZIPKIN.awaitTrace(traceId, 1).get(0).path("localEndpoint").path("serviceName").asText())
        .isEqualTo("header-" + protocol.configName());
  }

  record Captured(CapturingHttpServer.Captured request, String traceId, String spanId) {}

  private static Captured export(ExportProtocol protocol, String endpoint, CapturingHttpServer receiver)
      throws Exception {
    MeshSettings settings = MeshSettings.of("productpage")
        .withExporter(MeshSettings.Exporter.of(protocol, endpoint));
    try (OpenTelemetrySdk sdk = MeshTelemetry.create(settings)) {
      Span span = sdk.getTracer("test").spanBuilder("GET /reviews/0").setSpanKind(SpanKind.CLIENT)
          .setAttribute("peer.service", "reviews").startSpan();
      span.end();
      sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
      return new Captured(receiver.take(), span.getSpanContext().getTraceId(), span.getSpanContext().getSpanId());
    }
  }
}
