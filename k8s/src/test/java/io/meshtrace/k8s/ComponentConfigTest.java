package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The config files of xds-server, ext-proc and the OpenTelemetry Collector, and what ties them together. */
class ComponentConfigTest {
  static ObjectNode xds() {
    return ModuleTree.single(ModuleTree.file("base/standalone/config/xds.yaml"));
  }

  static ObjectNode extProc() {
    return ModuleTree.single(ModuleTree.file("base/common/config/ext-proc.yaml"));
  }

  @Test
  void xdsConfig_matchesTheAssumedContract_andItsTracingNamesDefinedProviders() {
    ObjectNode xds = xds();
    assertThat(ManifestSchemas.validate(xds, "meshtrace-xds-config.json")).isEmpty();

    List<String> providers = new ArrayList<>();
    xds.path("extensionProviders").forEach(p -> providers.add(p.path("name").asText()));
    assertThat(providers).doesNotHaveDuplicates();
    assertThat(xds.path("extensionProviders").findValues("opentelemetry")).hasSize(1);
    assertThat(xds.path("extensionProviders").findValues("zipkin")).hasSize(1);
    assertThat(xds.path("extensionProviders").findValues("skywalking")).hasSize(1);
    for (JsonNode t : xds.path("tracing")) {
      t.path("providers").forEach(p -> assertThat(providers).contains(p.path("name").asText()));
    }
    List<String> services = new ArrayList<>();
    xds.path("services").forEach(s -> services.add(s.path("name").asText()));
    assertThat(services).containsExactlyInAnyOrder("productpage", "details", "reviews", "ratings");
  }

  @Test
  void xdsConfig_samplingAbove100_isRejectedByTheSchema() {
    ObjectNode xds = xds();
    ((ObjectNode) xds.path("tracing").get(0)).put("randomSamplingPercentage", 140);

    assertThat(ManifestSchemas.validate(xds, "meshtrace-xds-config.json")).singleElement().asString()
        .contains("randomSamplingPercentage");
  }

  @Test
  void extProcConfig_matchesTheAssumedContract() {
    ObjectNode ep = extProc();
    assertThat(ManifestSchemas.validate(ep, "meshtrace-ext-proc-config.json")).isEmpty();

    List<String> formats = new ArrayList<>();
    ep.path("repair").path("outputFormats").forEach(f -> formats.add(f.asText()));
    assertThat(formats).contains(ep.path("repair").path("winner").asText());
  }

  @Test
  void repairMarkerHeader_isTaggedByEveryTracingConfig() {
    String header = extProc().path("marker").path("header").asText();
    assertThat(extProc().path("marker").path("enabled").asBoolean()).isTrue();

    HttpConnectionManager staticHcm = EnvoyConfigTest.hcm(EnvoyConfigTest.listener(EnvoyConfigTest.load("envoy/gateway-static.yaml"), "tracing"));
    HttpConnectionManager istioHcm = EnvoyConfigTest.hcm(EnvoyFilterPatchTest.decode(EnvoyFilterPatchTest.envoyFilter()).listeners().get(0));
    for (HttpConnectionManager hcm : List.of(staticHcm, istioHcm)) {
      assertThat(hcm.getTracing().getCustomTagsList()).anySatisfy(t -> assertThat(t.getRequestHeader().getName()).isEqualTo(header));
    }
    assertThat(xds().path("tracing").get(0).path("customTags").findValues("header"))
        .anySatisfy(h -> assertThat(h.path("name").asText()).isEqualTo(header));
    JsonNode meshTelemetry = ModuleTree.documents(ModuleTree.file("base/istio/telemetry.yaml")).get(0);
    assertThat(meshTelemetry.path("spec").path("tracing").get(0).path("customTags").findValues("header"))
        .anySatisfy(h -> assertThat(h.path("name").asText()).isEqualTo(header));
  }

  @Test
  void collectorConfig_pipelinesUseDefinedComponents_onTheContainerPorts() {
    JsonNode c = ModuleTree.single(ModuleTree.file("base/common/config/otel-collector.yaml"));
    JsonNode traces = c.path("service").path("pipelines").path("traces");
    for (String kind : List.of("receivers", "processors", "exporters")) {
      assertThat(traces.path(kind).size()).as(kind).isPositive();
      traces.path(kind).forEach(n -> assertThat(c.path(kind).has(n.asText())).as("%s %s defined", kind, n.asText()).isTrue());
    }
    c.path("service").path("extensions").forEach(n -> assertThat(c.path("extensions").has(n.asText())).isTrue());

    Set<Integer> listened = new HashSet<>();
    listened.add(port(c.path("receivers").path("otlp").path("protocols").path("grpc").path("endpoint").asText()));
    listened.add(port(c.path("receivers").path("otlp").path("protocols").path("http").path("endpoint").asText()));
    listened.add(port(c.path("receivers").path("zipkin").path("endpoint").asText()));
    listened.add(port(c.path("extensions").path("health_check").path("endpoint").asText()));
    Set<Integer> containerPorts = new HashSet<>();
    JsonNode deployment = ModuleTree.documents(ModuleTree.file("base/common/otel-collector.yaml")).get(0);
    RenderedOverlayTest.podSpec(deployment).path("containers").get(0).path("ports")
        .forEach(p -> containerPorts.add(p.path("containerPort").asInt()));
    assertThat(containerPorts).isEqualTo(listened).contains(4317, 4318, 9411);
  }

  private static int port(String endpoint) {
    return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
  }
}
