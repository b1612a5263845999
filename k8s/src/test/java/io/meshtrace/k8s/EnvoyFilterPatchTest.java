package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Envoy config inside the Istio EnvoyFilters: each patch value decoded into the Envoy proto
 * its applyTo names; the two-stage shape of overlays/istio and the ext_proc-before-router shape
 * of overlays/istio-gateway-untraced checked.
 */
class EnvoyFilterPatchTest {
  static final String FILE = "overlays/istio/envoyfilter-ext-proc.yaml";
  static final String UNTRACED_FILE = "overlays/istio-gateway-untraced/envoyfilter-ext-proc.yaml";

  record Patches(List<Cluster> clusters, List<Listener> listeners, List<Filter> networkFilters,
      List<HttpFilter> httpFilters, JsonNode filterMatch) {}

  static Patches decode(JsonNode envoyFilter) {
    List<Cluster> clusters = new ArrayList<>();
    List<Listener> listeners = new ArrayList<>();
    List<Filter> filters = new ArrayList<>();
    List<HttpFilter> httpFilters = new ArrayList<>();
    JsonNode filterMatch = null;
    int i = 0;
    String name = envoyFilter.path("metadata").path("name").asText();
    for (JsonNode p : envoyFilter.path("spec").path("configPatches")) {
      String where = "EnvoyFilter " + name + " configPatches[" + i++ + "]";
      JsonNode value = p.path("patch").path("value");
      switch (p.path("applyTo").asText()) {
        case "CLUSTER" -> clusters.add(EnvoyJson.decode(value, Cluster.newBuilder(), where));
        case "LISTENER" -> listeners.add(EnvoyJson.decode(value, Listener.newBuilder(), where));
        case "NETWORK_FILTER" -> {
          filters.add(EnvoyJson.decode(value, Filter.newBuilder(), where));
          filterMatch = p.path("match");
        }
        case "HTTP_FILTER" -> {
          httpFilters.add(EnvoyJson.decode(value, HttpFilter.newBuilder(), where));
          filterMatch = p.path("match");
        }
        default -> throw new AssertionError(where + ": applyTo " + p.path("applyTo") + " is not decoded by this test");
      }
    }
    return new Patches(clusters, listeners, filters, httpFilters, filterMatch);
  }

  static JsonNode envoyFilter() {
    return envoyFilter(FILE);
  }

  static JsonNode envoyFilter(String file) {
    List<JsonNode> docs = ModuleTree.documents(ModuleTree.file(file));
    assertThat(docs).hasSize(1);
    return docs.get(0);
  }

  @Test
  void everyPatchValue_decodesIntoItsEnvoyProto() {
    Patches p = decode(envoyFilter());

    assertThat(p.clusters()).extracting(Cluster::getName)
        .containsExactlyInAnyOrder("meshtrace_internal_tracing", "meshtrace_ext_proc", "meshtrace_otel_collector");
    assertThat(p.listeners()).extracting(Listener::getName).containsExactly("meshtrace_tracing_8080");
    assertThat(p.networkFilters()).extracting(Filter::getName).containsExactly("envoy.filters.network.http_connection_manager");
    assertThat(p.httpFilters()).isEmpty();
  }

  @Test
  void replacedGatewayHcm_hasNoTracingAndRunsExtProcBeforeRouterIntoTheInternalListener() {
    JsonNode ef = envoyFilter();
    Patches p = decode(ef);
    JsonNode replace = ef.path("spec").path("configPatches").get(4);
    assertThat(replace.path("patch").path("operation").asText()).isEqualTo("REPLACE");
    assertThat(p.filterMatch().path("context").asText()).isEqualTo("GATEWAY");
    assertThat(p.filterMatch().path("listener").path("portNumber").asInt()).isEqualTo(8080);

    HttpConnectionManager edge = EnvoyJson.unpack(p.networkFilters().get(0).getTypedConfig(), HttpConnectionManager.class);
    assertThat(edge.hasTracing()).isFalse();
    assertThat(edge.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.ext_proc", "envoy.filters.http.router");
    EnvoyConfigTest.assertExtProc(EnvoyJson.unpack(edge.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class), "meshtrace_ext_proc");
    assertThat(edge.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo("meshtrace_internal_tracing");
  }

  @Test
  void addedInternalListener_tracesAndRoutesWithIstiodsHttp8080Routes() {
    Patches p = decode(envoyFilter());
    Listener l = p.listeners().get(0);

    assertThat(l.hasInternalListener()).isTrue();
    assertThat(l.hasAddress()).isFalse();
    HttpConnectionManager hcm = EnvoyConfigTest.hcm(l);
    assertThat(hcm.hasTracing()).isTrue();
    assertThat(hcm.getTracing().getCustomTagsList())
        .anySatisfy(t -> assertThat(t.getRequestHeader().getName()).isEqualTo("x-meshtrace-repair"));
    OpenTelemetryConfig otel = EnvoyJson.unpack(hcm.getTracing().getProvider().getTypedConfig(), OpenTelemetryConfig.class);
    assertThat(otel.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("meshtrace_otel_collector");
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("http.8080");
    assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName).last().isEqualTo("envoy.filters.http.router");
  }

  @Test
  void routeNameHttp8080_matchesTheBookinfoGatewayServerPort() {
    JsonNode gw = ModuleTree.documents(ModuleTree.file("base/istio/bookinfo-gateway.yaml")).stream()
        .filter(d -> d.path("kind").asText().equals("Gateway")).findFirst().orElseThrow();
    JsonNode port = gw.path("spec").path("servers").get(0).path("port");

    assertThat(port.path("protocol").asText()).isEqualTo("HTTP");
    assertThat("http." + port.path("number").asInt()).isEqualTo("http.8080");
    assertThat(gw.path("spec").path("selector")).isEqualTo(envoyFilter().path("spec").path("workloadSelector").path("labels"));
  }

  @Test
  void everyClusterAndInternalListenerReferenced_isAddedByThePatch() {
    Patches p = decode(envoyFilter());
    Set<String> added = p.clusters().stream().map(Cluster::getName).collect(Collectors.toSet());
    Set<String> referenced = new TreeSet<>();
    Set<String> internal = new TreeSet<>();
    for (var m : p.listeners()) {
      referenced.addAll(EnvoyReferences.clusterNames(m));
    }
    for (var m : p.networkFilters()) {
      referenced.addAll(EnvoyReferences.clusterNames(m));
    }
    for (var m : p.clusters()) {
      internal.addAll(EnvoyReferences.internalListenerNames(m));
      assertThat(m.getLoadAssignment().getClusterName()).isEqualTo(m.getName());
    }

    assertThat(referenced).containsExactlyInAnyOrder("meshtrace_ext_proc", "meshtrace_internal_tracing", "meshtrace_otel_collector");
    assertThat(added).containsAll(referenced);
    assertThat(internal).containsExactly(p.listeners().get(0).getName());
    Cluster internalCluster = p.clusters().stream().filter(c -> c.getName().equals("meshtrace_internal_tracing")).findFirst().orElseThrow();
    assertThat(EnvoyJson.unpack(internalCluster.getTransportSocket().getTypedConfig(), InternalUpstreamTransport.class)
        .getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.raw_buffer");
    EnvoyConfigTest.assertHttp2(p.clusters().stream().filter(c -> c.getName().equals("meshtrace_ext_proc")).findFirst().orElseThrow());
  }

  @Test
  void extProcSettings_areTheSameAsInTheStaticGateway() {
    Patches p = decode(envoyFilter());
    HttpConnectionManager istioEdge = EnvoyJson.unpack(p.networkFilters().get(0).getTypedConfig(), HttpConnectionManager.class);
    HttpConnectionManager staticEdge = EnvoyConfigTest.hcm(EnvoyConfigTest.listener(EnvoyConfigTest.load("envoy/gateway-static.yaml"), "edge"));

    ExternalProcessor a = EnvoyJson.unpack(istioEdge.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class);
    ExternalProcessor b = EnvoyJson.unpack(staticEdge.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class);
    assertThat(a.toBuilder().clearGrpcService().build()).isEqualTo(b.toBuilder().clearGrpcService().build());
    assertThat(istioEdge.getGenerateRequestId()).isEqualTo(staticEdge.getGenerateRequestId());
    assertThat(istioEdge.getPreserveExternalRequestId()).isEqualTo(staticEdge.getPreserveExternalRequestId());
  }

  // --- overlays/istio-gateway-untraced: ext_proc in istiod's HCM, which does not trace ----------

  @Test
  void untracedGateway_insertsExtProcBeforeTheRouterOfTheGatewayHcm() {
    JsonNode ef = envoyFilter(UNTRACED_FILE);
    Patches p = decode(ef);

    assertThat(p.clusters()).extracting(Cluster::getName).containsExactly("meshtrace_ext_proc");
    EnvoyConfigTest.assertHttp2(p.clusters().get(0));
    assertThat(p.listeners()).isEmpty();
    assertThat(p.networkFilters()).isEmpty();
    assertThat(p.httpFilters()).extracting(HttpFilter::getName).containsExactly("envoy.filters.http.ext_proc");
    EnvoyConfigTest.assertExtProc(EnvoyJson.unpack(p.httpFilters().get(0).getTypedConfig(), ExternalProcessor.class), "meshtrace_ext_proc");
    assertThat(EnvoyReferences.clusterNames(p.httpFilters().get(0))).containsExactly("meshtrace_ext_proc");

    JsonNode patch = ef.path("spec").path("configPatches").get(1);
    assertThat(patch.path("patch").path("operation").asText()).isEqualTo("INSERT_BEFORE");
    assertThat(p.filterMatch().path("context").asText()).isEqualTo("GATEWAY");
    assertThat(p.filterMatch().path("listener").path("portNumber").asInt()).isEqualTo(8080);
    JsonNode filter = p.filterMatch().path("listener").path("filterChain").path("filter");
    assertThat(filter.path("name").asText()).isEqualTo("envoy.filters.network.http_connection_manager");
    assertThat(filter.path("subFilter").path("name").asText()).isEqualTo("envoy.filters.http.router");
  }

  @Test
  void bothEnvoyFilters_carryAPriorityAfterTheDefault() {
    for (String file : List.of(FILE, UNTRACED_FILE)) {
      JsonNode priority = envoyFilter(file).path("spec").path("priority");
      assertThat(priority.isInt()).as(file).isTrue();
      assertThat(priority.asInt()).as(file).isPositive();
    }
  }

  @Test
  void untracedGateway_telemetryTurnsTracingOffOnExactlyThatGateway() {
    JsonNode ef = envoyFilter(UNTRACED_FILE);
    JsonNode t = ModuleTree.documents(ModuleTree.file("overlays/istio-gateway-untraced/telemetry-gateway.yaml")).get(0);

    assertThat(t.path("metadata").path("namespace").asText()).isEqualTo(ef.path("metadata").path("namespace").asText());
    assertThat(t.path("spec").path("selector").path("matchLabels")).isEqualTo(ef.path("spec").path("workloadSelector").path("labels"));
    assertThat(t.path("spec").path("tracing")).singleElement()
        .satisfies(tr -> assertThat(tr.path("disableSpanReporting").asBoolean()).isTrue());
  }

  @Test
  void untracedGateway_extProcSettings_areTheSameAsInTheStaticGateway() {
    ExternalProcessor a = EnvoyJson.unpack(decode(envoyFilter(UNTRACED_FILE)).httpFilters().get(0).getTypedConfig(), ExternalProcessor.class);
    HttpConnectionManager staticEdge = EnvoyConfigTest.hcm(EnvoyConfigTest.listener(EnvoyConfigTest.load("envoy/gateway-static.yaml"), "edge"));
    ExternalProcessor b = EnvoyJson.unpack(staticEdge.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class);

    assertThat(a.toBuilder().clearGrpcService().build()).isEqualTo(b.toBuilder().clearGrpcService().build());
  }

  @Test
  void misspelledPatchValue_failsToDecode() {
    ObjectNode ef = envoyFilter().deepCopy();
    ObjectNode value = (ObjectNode) ef.path("spec").path("configPatches").get(1).path("patch").path("value");
    value.set("dns_lookup_familly", value.remove("dns_lookup_family"));

    assertThatThrownBy(() -> decode(ef)).isInstanceOf(EnvoyJson.EnvoyConfigException.class)
        .hasMessageContaining("dns_lookup_familly");
  }
}
