package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * operator/instrumentation.yaml against the OpenTelemetry Operator's Instrumentation CRD schema
 * (schemas/instrumentation.json, copied from the operator's repository with its source named),
 * and against the rest of k8s/: the collector it exports to, the sampling of its namespace.
 */
class InstrumentationTest {

  private static final String FILE = "operator/instrumentation.yaml";

  private static JsonNode instrumentation() {
    List<JsonNode> docs = ModuleTree.documents(ModuleTree.file(FILE));
    assertThat(docs).hasSize(1);
    return docs.get(0);
  }

  @Test
  void instrumentation_validAgainstOperatorCrdSchema() {
    assertThat(ManifestSchemas.validate(instrumentation(), "instrumentation.json")).isEmpty();
  }

  @Test
  void instrumentation_everyFieldDeclaredInCrd_nothingTheApiServerWouldPrune() throws IOException {
    JsonNode schema;
    try (InputStream in = getClass().getResourceAsStream("/schemas/instrumentation.json")) {
      schema = new ObjectMapper().readTree(in);
    }
    List<String> undeclared = new ArrayList<>();
    undeclared(instrumentation().path("spec"), schema.path("properties").path("spec"), "spec", undeclared);
    assertThat(undeclared).isEmpty();
  }

  @Test
  void instrumentation_javaAgentWithMeshExtensionAndPropagator() {
    JsonNode java = instrumentation().path("spec").path("java");
    assertThat(java.path("image").asText())
        .startsWith("ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:2.");
    JsonNode extension = java.path("extensions").get(0);
    assertThat(java.path("extensions")).hasSize(1);
    assertThat(extension.path("dir").asText()).isEqualTo("/extensions");
    assertThat(extension.path("image").asText()).startsWith("ghcr.io/meshtrace/otel-extension:");
    assertThat(ModuleTree.read(ModuleTree.file("operator/otel-extension.Dockerfile")))
        .contains("COPY sdk-bridge/target/meshtrace-otel-extension.jar " + extension.path("dir").asText() + "/");
    assertThat(env(java)).containsEntry("OTEL_PROPAGATORS", "meshtrace,baggage");
    assertThat(java.path("env").findValue("fieldPath").asText()).isEqualTo("metadata.namespace");
  }

  @Test
  void instrumentation_propagatorsMatchTheMesh_w3cAndB3Multi() {
    List<String> propagators = new ArrayList<>();
    instrumentation().path("spec").path("propagators").forEach(p -> propagators.add(p.asText()));
    // What the meshtrace propagator injects by default, for the languages without the extension.
    assertThat(propagators).containsExactly("tracecontext", "baggage", "b3multi");
  }

  @Test
  void instrumentation_samplerParentBasedRatio_equalsNamespaceTelemetrySampling() {
    JsonNode spec = instrumentation().path("spec");
    assertThat(spec.path("sampler").path("type").asText()).isEqualTo("parentbased_traceidratio");
    double ratio = Double.parseDouble(spec.path("sampler").path("argument").asText());
    String namespace = instrumentation().path("metadata").path("namespace").asText();
    JsonNode telemetry = ModuleTree.documents(ModuleTree.file("base/istio/telemetry.yaml")).stream()
        .filter(t -> namespace.equals(t.path("metadata").path("namespace").asText()))
        .findFirst().orElseThrow();
    double percent = telemetry.path("spec").path("tracing").get(0).path("randomSamplingPercentage").asDouble();
    assertThat(ratio).isBetween(0.0, 1.0).isEqualTo(percent / 100);
  }

  @Test
  void instrumentation_exporterEndpoint_isTheCollectorOtlpHttpPort() {
    String endpoint = instrumentation().path("spec").path("exporter").path("endpoint").asText();
    JsonNode service = ModuleTree.documents(ModuleTree.file("base/common/otel-collector.yaml")).stream()
        .filter(d -> "Service".equals(d.path("kind").asText()))
        .findFirst().orElseThrow();
    int port = 0;
    for (JsonNode p : service.path("spec").path("ports")) {
      if ("http-otlp".equals(p.path("name").asText())) {
        port = p.path("port").asInt();
      }
    }
    assertThat(port).isEqualTo(4318);
    assertThat(endpoint).isEqualTo("http://" + service.path("metadata").path("name").asText() + "."
        + service.path("metadata").path("namespace").asText() + ".svc.cluster.local:" + port);
  }

  private static Map<String, String> env(JsonNode container) {
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (JsonNode e : container.path("env")) {
      if (e.has("value")) {
        env.put(e.path("name").asText(), e.path("value").asText());
      }
    }
    return env;
  }

  /** Fields of {@code node} that {@code schema} does not declare (OpenAPI: no additionalProperties). */
  private static void undeclared(JsonNode node, JsonNode schema, String path, List<String> out) {
    if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) || schema.has("additionalProperties")) {
      return;
    }
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        JsonNode declared = schema.path("properties").path(field.getKey());
        if (declared.isMissingNode()) {
          out.add(path + "." + field.getKey());
        } else {
          undeclared(field.getValue(), declared, path + "." + field.getKey(), out);
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        undeclared(node.get(i), schema.path("items"), path + "[" + i + "]", out);
      }
    }
  }
}
