package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.xds.snapshot.VersionedSnapshot;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.meshtrace.context.PropagationFormat;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The config files of xds-server, ext-proc and the OpenTelemetry Collector, read by the real
 * parsers of xds-server and ext-proc, and what ties them together.
 */
class ComponentConfigTest {
  static final String XDS_FILE = "base/standalone/config/xds.yaml";
  static final String EXT_PROC_FILE = "base/common/config/ext-proc.yaml";

  static ObjectNode xds() {
    return ModuleTree.single(ModuleTree.file(XDS_FILE));
  }

  static MeshConfig xdsConfig() {
    try {
      return ConfigParser.parse(ModuleTree.read(ModuleTree.file(XDS_FILE)), null);
    } catch (ConfigException e) {
      throw new AssertionError(XDS_FILE + ": " + e.errors());
    }
  }

  static ExtProcConfig extProcConfig() {
    try {
      return ExtProcConfigParser.fromYaml(EXT_PROC_FILE, ModuleTree.read(ModuleTree.file(EXT_PROC_FILE)));
    } catch (io.meshtrace.context.config.ConfigProblemsException e) {
      throw new AssertionError(EXT_PROC_FILE + ": " + e.problems());
    }
  }

  /** The snapshot xds-server sends the meshtrace-gateway Envoy for the shipped xds.yaml. */
  static VersionedSnapshot gatewaySnapshot() {
    MeshSnapshots.Result r = MeshSnapshots.build(xdsConfig(), "gateway/meshtrace-gateway");
    assertThat(r.errors()).isEmpty();
    return r.snapshot();
  }

  @Test
  void xdsConfig_parsedByXdsServer_everySnapshotBuildsAndPassesItsChecks() {
    MeshConfig c = xdsConfig();
    assertThat(c.warnings()).isEmpty();
    assertThat(MeshSnapshots.errors(MeshSnapshots.buildAll(c, Set.of()))).isEmpty();
    assertThat(c.services()).extracting(MeshConfig.Service::name)
        .containsExactly("productpage", "details", "reviews", "ratings");
    assertThat(c.providers()).extracting(MeshConfig.Provider::name)
        .containsExactly("otel", "zipkin", "skywalking");
    assertThat(c.defaultProviders()).containsExactly("otel");
    assertThat(c.server().adsPort()).isEqualTo(18000);
    assertThat(c.server().adminPort()).isEqualTo(18001);
    assertThat(c.server().adsAddress()).as("reachable from other pods").isEqualTo("0.0.0.0");
    assertThat(c.server().adminAddress()).as("probes reach the pod IP").isEqualTo("0.0.0.0");
  }

  @Test
  void xdsConfig_gateway_twoStagesWithExtProcOfThisDeployment() {
    MeshConfig.Gateway gw = xdsConfig().gateway();
    assertThat(gw.port()).isEqualTo(8080);
    assertThat(gw.headerRepair().enabled()).isTrue();
    assertThat(gw.headerRepair().failureModeAllow()).isTrue();
    VersionedSnapshot s = gatewaySnapshot();
    assertThat(s.listeners().resources()).containsOnlyKeys("edge", "tracing");
    HttpConnectionManager edge = EnvoyConfigTest.hcm(s.listeners().resources().get("edge"));
    assertThat(edge.hasTracing()).isFalse();
    assertThat(edge.getHttpFiltersList()).extracting(f -> f.getName())
        .containsExactly("envoy.filters.http.ext_proc", "envoy.filters.http.router");
    HttpConnectionManager traced = EnvoyConfigTest.hcm(s.listeners().resources().get("tracing"));
    assertThat(traced.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
        .isEqualTo("outbound|9080||productpage");
    assertThat(s.clusters().resources().get("outbound|9080||productpage").getType())
        .isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
  }

  @Test
  void xdsGateway_extProcSettings_equalTheStaticGateway() {
    ExternalProcessor generated = extProcOf(EnvoyConfigTest.hcm(
        gatewaySnapshot().listeners().resources().get("edge")));
    ExternalProcessor shipped = extProcOf(EnvoyConfigTest.hcm(EnvoyConfigTest.listener(
        EnvoyConfigTest.load("envoy/gateway-static.yaml"), "edge")));
    assertThat(generated.toBuilder().clearGrpcService().build())
        .isEqualTo(shipped.toBuilder().clearGrpcService().build());
  }

  @Test
  void xdsGateway_edgeHcmAndClusters_equalTheStaticGateway() {
    Bootstrap shipped = EnvoyConfigTest.load("envoy/gateway-static.yaml");
    assertThat(EnvoyConfigTest.hcm(gatewaySnapshot().listeners().resources().get("edge")))
        .isEqualTo(EnvoyConfigTest.hcm(EnvoyConfigTest.listener(shipped, "edge")));
    for (String name : List.of("internal_tracing", "ext_proc")) {
      assertThat(gatewaySnapshot().clusters().resources().get(name)).as(name)
          .isEqualTo(EnvoyConfigTest.cluster(shipped, name));
    }
  }

  private static ExternalProcessor extProcOf(HttpConnectionManager hcm) {
    return hcm.getHttpFiltersList().stream()
        .filter(f -> f.getName().equals("envoy.filters.http.ext_proc")).findFirst()
        .map(f -> EnvoyJson.unpack(f.getTypedConfig(), ExternalProcessor.class))
        .orElseThrow(() -> new AssertionError("no ext_proc filter"));
  }

  @Test
  void xdsConfig_samplingAbove100_isRejectedByXdsServer() {
    String text = ModuleTree.read(ModuleTree.file(XDS_FILE))
        .replace("randomSamplingPercentage: 100", "randomSamplingPercentage: 140");
    assertThatThrownBy(() -> ConfigParser.parse(text, null))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
            .containsExactly("tracing[0].randomSamplingPercentage=140: must be between 0 and 100"));
  }

  @Test
  void extProcConfig_parsedByExtProc_formatsAndMarker() {
    ExtProcConfig c = extProcConfig();
    assertThat(c.markerHeader()).isEqualTo("x-meshtrace-repair");
    assertThat(c.repairPolicy().outputFormats()).containsExactlyInAnyOrder(PropagationFormat.W3C, PropagationFormat.B3_MULTI);
    assertThat(c.repairPolicy().outputFormats()).contains(c.repairPolicy().winner());
    // Equal to the sampling of the gateway's tracer (xds.yaml): traces ext-proc starts are
    // sampled as often as those Envoy starts.
    assertThat(c.repairPolicy().newTraceSamplingPercent()).isEqualTo(xdsConfig().tracing().get(0).randomSamplingPercentage());
  }

  @Test
  void extProcConfig_camelCaseKey_isRejectedByExtProc() {
    String text = ModuleTree.read(ModuleTree.file(EXT_PROC_FILE)).replace("output-formats", "outputFormats");
    assertThatThrownBy(() -> ExtProcConfigParser.fromYaml(EXT_PROC_FILE, text))
        .isInstanceOfSatisfying(io.meshtrace.context.config.ConfigProblemsException.class,
            e -> assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("outputFormats")));
  }

  @Test
  void repairMarkerHeader_isTaggedByEveryTracingConfig() {
    String header = extProcConfig().markerHeader();
    assertThat(header).isNotNull();

    HttpConnectionManager staticHcm = EnvoyConfigTest.hcm(EnvoyConfigTest.listener(EnvoyConfigTest.load("envoy/gateway-static.yaml"), "tracing"));
    HttpConnectionManager istioHcm = EnvoyConfigTest.hcm(EnvoyFilterPatchTest.decode(EnvoyFilterPatchTest.envoyFilter()).listeners().get(0));
    HttpConnectionManager xdsHcm = EnvoyConfigTest.hcm(gatewaySnapshot().listeners().resources().get("tracing"));
    for (HttpConnectionManager hcm : List.of(staticHcm, istioHcm, xdsHcm)) {
      assertThat(hcm.getTracing().getCustomTagsList()).anySatisfy(t -> assertThat(t.getRequestHeader().getName()).isEqualTo(header));
    }
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

  /**
   * The Istio reference, unchanged: the IstioOperator's meshConfig block and the Telemetry
   * resources of base/istio, read by xds-server next to the Bookinfo services of xds.yaml, give
   * the sidecars what Istio would: the OpenTelemetry provider, the bookinfo namespace's 100%
   * sampling and the mesh-wide repair tag.
   */
  @Test
  void istioReference_meshConfigAndTelemetry_parseUnchangedInXdsServer() throws Exception {
    ObjectNode doc = xds();
    doc.remove(List.of("meshVersion", "defaultProviders", "extensionProviders", "tracing"));
    JsonNode operator = ModuleTree.single(ModuleTree.file("overlays/istio/install/istio-operator.yaml"));
    doc.set("meshConfig", operator.path("spec").path("meshConfig"));
    doc.putArray("telemetry").addAll(ModuleTree.documents(ModuleTree.file("base/istio/telemetry.yaml")));

    MeshConfig c = ConfigParser.parse(doc, null);
    assertThat(c.providers()).extracting(MeshConfig.Provider::name).containsExactly("meshtrace-otel",
        "meshtrace-otel-http", "meshtrace-zipkin", "meshtrace-skywalking", "meshtrace-datadog");
    assertThat(c.provider("meshtrace-otel").host()).isEqualTo("otel-collector.meshtrace.svc.cluster.local");
    MeshSnapshots.Result r = MeshSnapshots.build(c, "sidecar/productpage");
    assertThat(r.errors()).isEmpty();
    io.envoyproxy.envoy.config.listener.v3.Listener outbound = r.snapshot().listeners().resources().get("virtualOutbound");
    HttpConnectionManager hcm = EnvoyJson.unpack(outbound.getFilterChains(0).getFilters(0).getTypedConfig(),
        HttpConnectionManager.class);
    assertThat(hcm.getTracing().getProvider().getName()).isEqualTo("envoy.tracers.opentelemetry");
    assertThat(hcm.getTracing().getRandomSampling().getValue()).isEqualTo(100.0);
    assertThat(hcm.getTracing().getCustomTagsList()).anySatisfy(t -> {
      assertThat(t.getTag()).isEqualTo("meshtrace.repair");
      assertThat(t.getRequestHeader().getName()).isEqualTo("x-meshtrace-repair");
    });
    assertThat(r.snapshot().clusters().resources()).containsKey("tracing|meshtrace-otel");
  }
}
