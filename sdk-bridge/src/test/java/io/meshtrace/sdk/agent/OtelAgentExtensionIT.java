package io.meshtrace.sdk.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshtrace.sdk.CapturingHttpServer;
import io.meshtrace.check.ZipkinServerExtension;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real {@code io.opentelemetry.javaagent:opentelemetry-javaagent} with
 * {@code target/meshtrace-otel-extension.jar} on {@link PlainHttpApp}, an application without
 * any OpenTelemetry dependency: front calls back over the JDK HTTP client. Two agent JVMs,
 * started once for the class: one exporting Zipkin v1 JSON through the extension's
 * {@code meshtrace} exporter to the real Zipkin, one exporting OTLP over HTTP with the agent's
 * own exporter to a capturing server.
 */
class OtelAgentExtensionIT {

  @RegisterExtension
  static final ZipkinServerExtension ZIPKIN = new ZipkinServerExtension();

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static CapturingHttpServer otlpReceiver;
  private static AgentProcess zipkinApp;
  private static AgentProcess otlpApp;
  private static int zipkinAppPort;
  private static int otlpAppPort;

  @BeforeAll
  static void startApps() throws Exception {
    otlpReceiver = new CapturingHttpServer(200);
    // Started together: each agent takes a few seconds to start.
    zipkinApp = AgentProcess.start(Map.of(),
        "-Dotel.service.name=plain-front",
        "-Dotel.traces.exporter=meshtrace",
        "-Dotel.exporter.zipkin.endpoint=" + ZIPKIN.baseUrl() + "/api/v1/spans",
        "-Dmeshtrace.exporter.zipkin.encoding=json-v1",
        "-Dmeshtrace.exporter.zipkin.headers=x-tenant=blue");
    // OTEL_* and MESHTRACE_* environment variables, an explicit otel.propagators.
    otlpApp = AgentProcess.start(
        Map.of("OTEL_SERVICE_NAME", "plain-otlp", "MESHTRACE_MESH_VERSION", "1.18.0.124"),
        "-Dotel.propagators=meshtrace",
        "-Dotel.traces.exporter=otlp",
        "-Dotel.exporter.otlp.protocol=http/protobuf",
        "-Dotel.exporter.otlp.endpoint=" + otlpReceiver.url(""),
        "-Dotel.exporter.otlp.headers=authorization=Bearer%20agent-token");
    zipkinAppPort = zipkinApp.awaitPort();
    otlpAppPort = otlpApp.awaitPort();
  }

  @AfterAll
  static void stopApps() throws Exception {
    if (zipkinApp != null) {
      zipkinApp.close();
    }
    if (otlpApp != null) {
      otlpApp.close();
    }
    if (otlpReceiver != null) {
      otlpReceiver.close();
    }
  }

  @Test
  void extensionJar_tracecontextInside_noOpenTelemetryClasses() throws Exception {
    try (JarFile jar = new JarFile(new File(System.getProperty(
        "meshtrace.extension.jar", "target/meshtrace-otel-extension.jar")))) {
      List<String> names = jar.stream().map(e -> e.getName()).toList();
      assertThat(names).contains("io/meshtrace/context/PropagationFormat.class",
          "io/meshtrace/sdk/MeshPropagatorProvider.class",
          "META-INF/services/io.opentelemetry.sdk.autoconfigure.spi.ConfigurablePropagatorProvider",
          "META-INF/services/io.opentelemetry.sdk.autoconfigure.spi.ResourceProvider",
          "META-INF/services/io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider");
      assertThat(names).noneMatch(n -> n.startsWith("io/opentelemetry/") || n.startsWith("zipkin2/"));
    }
  }

  @Test
  void agentZipkin_incompleteB3_traceIdKeptChainParentedMeshHeadersDownstream() throws Exception {
    String traceId = randomHex(16);
    String requestId = UUID.randomUUID().toString();
    Map<String, String> back = callFront(zipkinAppPort, traceId, requestId);

    JsonNode spans = ZIPKIN.awaitTrace(traceId, 3);
    assertThat(spans).as(zipkinApp.output()).hasSize(3);
    JsonNode front = null;
    JsonNode client = null;
    JsonNode server = null;
    for (JsonNode span : spans) {
      assertThat(span.path("localEndpoint").path("serviceName").asText()).isEqualTo("plain-front");
      if ("CLIENT".equals(span.path("kind").asText())) {
        client = span;
      }
    }
    assertThat(client).as("client span in %s", spans).isNotNull();
    for (JsonNode span : spans) {
      if (span.path("parentId").asText().equals(client.path("id").asText())) {
        server = span;
      } else if (span.path("id").asText().equals(client.path("parentId").asText())) {
        front = span;
      }
    }
    assertThat(front).as("front server span in %s", spans).isNotNull();
    assertThat(server).as("back server span in %s", spans).isNotNull();
    assertThat(front.path("kind").asText()).isEqualTo("SERVER");
    assertThat(server.path("kind").asText()).isEqualTo("SERVER");
    // The incoming B3 had no span id: the front span's parent is the id the repair gave it.
    assertThat(front.path("parentId").asText()).hasSize(16).isNotEqualTo(front.path("id").asText());

    // Default injection: W3C and B3 multi with the client span's ids, and x-request-id.
    assertThat(back).containsEntry("x-b3-traceid", traceId)
        .containsEntry("x-b3-spanid", client.path("id").asText())
        .containsEntry("x-b3-sampled", "1")
        .containsEntry("traceparent", "00-" + traceId + "-" + client.path("id").asText() + "-01")
        .containsEntry("x-request-id", requestId);
  }

  @Test
  void agentOtlp_incompleteB3_meshVersionB3OnlyEnvServiceNameHeaders() throws Exception {
    String traceId = randomHex(16);
    String requestId = UUID.randomUUID().toString();
    Map<String, String> back = callFront(otlpAppPort, traceId, requestId);

    List<Span> spans = new ArrayList<>();
    Set<String> serviceNames = new java.util.TreeSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (spans.size() < 3 && System.nanoTime() < deadline) {
      CapturingHttpServer.Captured post = otlpReceiver.take();
      assertThat(post.path()).isEqualTo("/v1/traces");
      assertThat(post.header("authorization")).isEqualTo("Bearer agent-token");
      for (ResourceSpans resourceSpans : ExportTraceServiceRequest.parseFrom(post.body()).getResourceSpansList()) {
        for (ScopeSpans scope : resourceSpans.getScopeSpansList()) {
          for (Span span : scope.getSpansList()) {
            if (HexFormat.of().formatHex(span.getTraceId().toByteArray()).equals(traceId)) {
              spans.add(span);
              serviceNames.add(attribute(resourceSpans.getResource().getAttributesList(), "service.name"));
            }
          }
        }
      }
    }
    assertThat(spans).as(otlpApp.output()).hasSize(3);
    assertThat(serviceNames).containsExactly("plain-otlp");
    Span client = spans.stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT).findFirst().orElseThrow();
    Span front = spans.stream().filter(s -> s.getSpanId().equals(client.getParentSpanId())).findFirst().orElseThrow();
    Span server = spans.stream().filter(s -> s.getParentSpanId().equals(client.getSpanId())).findFirst().orElseThrow();
    assertThat(front.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(server.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(front.getParentSpanId().size()).isEqualTo(8);

    // meshtrace.mesh.version=1.18.0.124: B3 multi only, as those sidecars propagate.
    String clientSpanId = HexFormat.of().formatHex(client.getSpanId().toByteArray());
    assertThat(back).containsEntry("x-b3-traceid", traceId)
        .containsEntry("x-b3-spanid", clientSpanId)
        .containsEntry("x-request-id", requestId)
        .doesNotContainKey("traceparent");
  }

  /** GET /front with an incomplete B3 context (trace id and decision, no span id). */
  private static Map<String, String> callFront(int port, String traceId, String requestId) throws Exception {
    HttpResponse<String> response = CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/front"))
            .timeout(Duration.ofSeconds(10))
            .header("x-b3-traceid", traceId)
            .header("x-b3-sampled", "1")
            .header("x-request-id", requestId)
            .GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line : response.body().split("\n")) {
      int colon = line.indexOf(": ");
      if (colon > 0) {
        headers.put(line.substring(0, colon), line.substring(colon + 2));
      }
    }
    return headers;
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    for (KeyValue kv : attributes) {
      if (kv.getKey().equals(key)) {
        return kv.getValue().getStringValue();
      }
    }
    return null;
  }

  private static String randomHex(int bytes) {
    byte[] id = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(id);
    id[0] |= 1;
    return HexFormat.of().formatHex(id);
  }
}
