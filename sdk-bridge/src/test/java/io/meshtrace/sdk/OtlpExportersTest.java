package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** OTLP exports decoded by real receivers on 127.0.0.1: a grpc-java server and an HTTP server. */
class OtlpExportersTest {

  @Test
  void otlpGrpc_export_decodedByGrpcServerWithAuthHeader() throws Exception {
    try (OtlpGrpcReceiver receiver = new OtlpGrpcReceiver()) {
      MeshSettings settings = MeshSettings.of("details").withNamespace("bookinfo")
          .withExporter(MeshSettings.Exporter.of(ExportProtocol.OTLP_GRPC, "http://127.0.0.1:" + receiver.port())
              .withHeaders(Map.of("authorization", "Bearer grpc-token")));
      Exported exported = exportTwoSpans(settings);

      OtlpGrpcReceiver.Received received = receiver.take();
      assertThat(received.header("authorization")).isEqualTo("Bearer grpc-token");
      assertSpans(received.request(), exported, "details.bookinfo");
    }
  }

  @Test
  void otlpHttp_export_decodedByHttpServerWithAuthHeader() throws Exception {
    try (CapturingHttpServer receiver = new CapturingHttpServer(200)) {
      MeshSettings settings = MeshSettings.of("details").withNamespace("bookinfo")
          .withExporter(MeshSettings.Exporter.of(ExportProtocol.OTLP_HTTP, receiver.url("/v1/traces"))
              .withHeaders(Map.of("authorization", "Bearer http-token", "x-tenant", "blue")));
      Exported exported = exportTwoSpans(settings);

      CapturingHttpServer.Captured captured = receiver.take();
      assertThat(captured.method()).isEqualTo("POST");
      assertThat(captured.path()).isEqualTo("/v1/traces");
      assertThat(captured.header("content-type")).isEqualTo("application/x-protobuf");
      assertThat(captured.header("authorization")).isEqualTo("Bearer http-token");
      assertThat(captured.header("x-tenant")).isEqualTo("blue");
      assertSpans(ExportTraceServiceRequest.parseFrom(captured.body()), exported, "details.bookinfo");
    }
  }

  record Exported(String traceId, String parentId, String childId) {}

  private static Exported exportTwoSpans(MeshSettings settings) {
    try (OpenTelemetrySdk sdk = MeshTelemetry.create(settings)) {
      Tracer tracer = sdk.getTracer("test");
      Span parent = tracer.spanBuilder("GET /details/0").setSpanKind(SpanKind.SERVER).startSpan();
      Span child;
      try (Scope ignored = parent.makeCurrent()) {
        child = tracer.spanBuilder("SELECT details").startSpan();
        child.end();
      } finally {
        parent.end();
      }
      sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
      return new Exported(parent.getSpanContext().getTraceId(), parent.getSpanContext().getSpanId(),
          child.getSpanContext().getSpanId());
    }
  }

  static void assertSpans(ExportTraceServiceRequest request, Exported exported, String serviceName) {
    HexFormat hex = HexFormat.of();
    Map<String, io.opentelemetry.proto.trace.v1.Span> byId = new HashMap<>();
    List<String> serviceNames = new ArrayList<>();
    Map<String, String> resource = new HashMap<>();
    for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
      for (KeyValue attribute : resourceSpans.getResource().getAttributesList()) {
        resource.put(attribute.getKey(), attribute.getValue().getStringValue());
        if (attribute.getKey().equals("service.name")) {
          serviceNames.add(attribute.getValue().getStringValue());
        }
      }
      resourceSpans.getScopeSpansList().forEach(scope -> scope.getSpansList().forEach(
          span -> byId.put(hex.formatHex(span.getSpanId().toByteArray()), span)));
    }
    assertThat(serviceNames).containsExactly(serviceName);
    assertThat(resource).containsEntry("service.namespace", "bookinfo").containsEntry("k8s.namespace.name", "bookinfo");
    assertThat(byId).containsOnlyKeys(exported.parentId(), exported.childId());
    io.opentelemetry.proto.trace.v1.Span parent = byId.get(exported.parentId());
    io.opentelemetry.proto.trace.v1.Span child = byId.get(exported.childId());
    assertThat(parent.getName()).isEqualTo("GET /details/0");
    assertThat(parent.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(hex.formatHex(parent.getTraceId().toByteArray())).isEqualTo(exported.traceId());
    assertThat(child.getName()).isEqualTo("SELECT details");
    assertThat(hex.formatHex(child.getTraceId().toByteArray())).isEqualTo(exported.traceId());
    assertThat(hex.formatHex(child.getParentSpanId().toByteArray())).isEqualTo(exported.parentId());
  }
}
