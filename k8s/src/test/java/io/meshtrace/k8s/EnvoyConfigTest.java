package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.bootstrap.internal_listener.v3.InternalListener;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshtrace.xds.bootstrap.EnvoyBootstrap;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.NodeRole;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** k8s/envoy/*.yaml decoded into Envoy v1.34 protos, then checked for what they must do. */
class EnvoyConfigTest {
  private static final String HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  static Bootstrap load(String file) {
    return EnvoyJson.bootstrap(ModuleTree.single(ModuleTree.file(file)), file);
  }

  @Test
  void gatewayBootstrap_decodes_deltaAdsToXdsServerWithInternalListenerExtension() {
    Bootstrap b = load("envoy/gateway-bootstrap.yaml");

    assertAdsBootstrap(b, "gateway");
    assertThat(b.getBootstrapExtensionsList()).singleElement().satisfies(e -> {
      assertThat(e.getName()).isEqualTo("envoy.bootstrap.internal_listener");
      assertThat(e.getTypedConfig().is(InternalListener.class)).isTrue();
    });
  }

  /**
   * The shipped bootstraps are what {@code xds-server bootstrap} prints for the arguments this
   * folder documents (the command line is also the files' "Generated" comment): they cannot
   * drift from what xds-server expects (node cluster, role metadata, ADS settings).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "envoy/gateway-bootstrap.yaml, meshtrace-gateway, meshtrace-gateway, GATEWAY",
      "envoy/sidecar-bootstrap.yaml, meshtrace-sidecar, productpage, SIDECAR",
  })
  void shippedBootstrap_equalsWhatXdsServerPrints(String file, String nodeId, String cluster, NodeRole role) {
    EnvoyBootstrap.Options o = new EnvoyBootstrap.Options(nodeId, cluster, role, "xds-server.meshtrace.svc", 18000, 15000, true);
    assertThat(ModuleTree.read(ModuleTree.file(file)))
        .as("regenerate with: java -jar xds-server/target/xds-server.jar %s > k8s/%s", o.commandLine().substring("xds-server ".length()), file)
        .isEqualTo(EnvoyBootstrap.yaml(o));
    assertThat(load(file)).isEqualTo(EnvoyBootstrap.proto(o));
    assertThat(new NodeGroups().hash(load(file).getNode()).toString())
        .isEqualTo(role == NodeRole.GATEWAY ? "gateway/meshtrace-gateway" : "sidecar/productpage");
  }

  @Test
  void sidecarBootstrap_decodes_deltaAdsToXdsServer() {
    Bootstrap b = load("envoy/sidecar-bootstrap.yaml");

    assertAdsBootstrap(b, "sidecar");
    assertThat(b.getBootstrapExtensionsList()).isEmpty();
  }

  private static void assertAdsBootstrap(Bootstrap b, String role) {
    assertThat(b.getNode().getId()).isNotEmpty();
    assertThat(b.getNode().getCluster()).isNotEmpty();
    assertThat(b.getNode().getMetadata().getFieldsOrThrow("role").getStringValue()).isEqualTo(role);

    ApiConfigSource ads = b.getDynamicResources().getAdsConfig();
    assertThat(ads.getApiType()).isEqualTo(ApiConfigSource.ApiType.DELTA_GRPC);
    assertThat(ads.getTransportApiVersion()).isEqualTo(ApiVersion.V3);
    assertThat(ads.getSetNodeOnFirstMessageOnly()).isTrue();
    assertThat(ads.getGrpcServicesList()).singleElement()
        .satisfies(g -> assertThat(g.getEnvoyGrpc().getClusterName()).isEqualTo("xds_cluster"));
    assertThat(b.getDynamicResources().getLdsConfig().hasAds()).isTrue();
    assertThat(b.getDynamicResources().getLdsConfig().getResourceApiVersion()).isEqualTo(ApiVersion.V3);
    assertThat(b.getDynamicResources().getCdsConfig().hasAds()).isTrue();
    assertThat(b.getDynamicResources().getCdsConfig().getResourceApiVersion()).isEqualTo(ApiVersion.V3);

    assertThat(b.getAdmin().getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
    assertThat(b.getAdmin().getAddress().getSocketAddress().getPortValue()).isEqualTo(15000);

    Cluster xds = b.getStaticResources().getClustersList().stream()
        .filter(c -> c.getName().equals("xds_cluster")).findFirst().orElseThrow();
    assertThat(xds.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    assertHttp2(xds);
    var addr = xds.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
    assertThat(addr.getAddress()).isEqualTo("xds-server.meshtrace.svc");
    assertThat(addr.getPortValue()).isEqualTo(18000);
  }

  static void assertHttp2(Cluster c) {
    HttpProtocolOptions o = EnvoyJson.unpack(c.getTypedExtensionProtocolOptionsOrThrow(HTTP_OPTIONS), HttpProtocolOptions.class);
    assertThat(o.getExplicitHttpConfig().hasHttp2ProtocolOptions()).as("cluster %s speaks HTTP/2", c.getName()).isTrue();
  }

  @Test
  void staticGateway_edgeListener_hasNoTracingAndRunsExtProcBeforeRouter() {
    Bootstrap b = load("envoy/gateway-static.yaml");
    Listener edge = listener(b, "edge");

    assertThat(edge.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
    HttpConnectionManager hcm = hcm(edge);
    assertThat(hcm.hasTracing()).as("edge HCM must not trace (its tracer would run before ext_proc)").isFalse();
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.ext_proc", "envoy.filters.http.router");

    ExternalProcessor ep = EnvoyJson.unpack(hcm.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class);
    assertExtProc(ep, "ext_proc");
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo("internal_tracing");
  }

  static void assertExtProc(ExternalProcessor ep, String cluster) {
    assertThat(ep.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo(cluster);
    assertThat(ep.getFailureModeAllow()).isTrue();
    assertThat(ep.getMessageTimeout().getSeconds()).isZero();
    assertThat(ep.getMessageTimeout().getNanos()).isEqualTo(200_000_000);
    ProcessingMode m = ep.getProcessingMode();
    assertThat(m.getRequestHeaderMode()).isEqualTo(ProcessingMode.HeaderSendMode.SEND);
    assertThat(m.getResponseHeaderMode()).isEqualTo(ProcessingMode.HeaderSendMode.SKIP);
    assertThat(m.getRequestBodyMode()).isEqualTo(ProcessingMode.BodySendMode.NONE);
    assertThat(m.getResponseBodyMode()).isEqualTo(ProcessingMode.BodySendMode.NONE);
    assertThat(ep.getObservabilityMode()).isFalse();
  }

  @Test
  void staticGateway_internalListener_tracesWithOpenTelemetryAndTagsTheRepairMarker() {
    Bootstrap b = load("envoy/gateway-static.yaml");
    Listener tracing = listener(b, "tracing");

    assertThat(tracing.hasInternalListener()).isTrue();
    assertThat(tracing.hasAddress()).as("an internal listener has no socket").isFalse();
    HttpConnectionManager hcm = hcm(tracing);
    assertThat(hcm.hasTracing()).isTrue();
    assertThat(hcm.getTracing().getRandomSampling().getValue()).isBetween(0.0, 100.0);
    assertThat(hcm.getTracing().getCustomTagsList())
        .anySatisfy(t -> assertThat(t.getRequestHeader().getName()).isEqualTo("x-meshtrace-repair"));
    assertThat(hcm.getTracing().getProvider().getName()).isEqualTo("envoy.tracers.opentelemetry");
    OpenTelemetryConfig otel = EnvoyJson.unpack(hcm.getTracing().getProvider().getTypedConfig(), OpenTelemetryConfig.class);
    assertThat(otel.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("otel-collector");
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName).last().isEqualTo("envoy.filters.http.router");
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo("productpage");
  }

  @Test
  void staticGateway_internalTracingCluster_reachesTheInternalListenerInProcess() {
    Bootstrap b = load("envoy/gateway-static.yaml");
    Cluster c = cluster(b, "internal_tracing");

    assertThat(c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
        .getEnvoyInternalAddress().getServerListenerName()).isEqualTo("tracing");
    assertThat(c.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.internal_upstream");
    InternalUpstreamTransport t = EnvoyJson.unpack(c.getTransportSocket().getTypedConfig(), InternalUpstreamTransport.class);
    assertThat(t.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.raw_buffer");
    assertThat(t.getTransportSocket().getTypedConfig().is(RawBuffer.class)).isTrue();
    assertThat(b.getBootstrapExtensionsList())
        .anySatisfy(e -> assertThat(e.getTypedConfig().is(InternalListener.class)).isTrue());
    assertHttp2(cluster(b, "ext_proc"));
    assertHttp2(cluster(b, "otel-collector"));
  }

  @Test
  void staticGateway_everyReferencedClusterAndListenerExists() {
    Bootstrap b = load("envoy/gateway-static.yaml");
    Set<String> clusters = b.getStaticResources().getClustersList().stream().map(Cluster::getName).collect(Collectors.toSet());
    Set<String> listeners = b.getStaticResources().getListenersList().stream().map(Listener::getName).collect(Collectors.toSet());

    assertThat(EnvoyReferences.clusterNames(b))
        .containsExactlyInAnyOrder("internal_tracing", "ext_proc", "otel-collector", "productpage");
    assertThat(clusters).containsAll(EnvoyReferences.clusterNames(b));
    assertThat(EnvoyReferences.internalListenerNames(b)).containsExactly("tracing").allSatisfy(n -> assertThat(listeners).contains(n));
    for (Cluster c : b.getStaticResources().getClustersList()) {
      assertThat(c.getLoadAssignment().getClusterName()).as("load_assignment.cluster_name of %s", c.getName()).isEqualTo(c.getName());
    }
  }

  // --- a misspelled copy must fail: the decoding is as strict as Envoy -------------------------

  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @CsvSource({
      "envoy/gateway-static.yaml, message_timeout:, message_timout:",
      "envoy/gateway-static.yaml, ext_proc.v3.ExternalProcessor, ext_proc.v3.ExternalProcesor",
      "envoy/gateway-static.yaml, request_header_mode: SEND, request_header_mode: SENDD",
      "envoy/gateway-static.yaml, server_listener_name:, server_listener:",
      "envoy/gateway-static.yaml, internal_upstream.v3.InternalUpstreamTransport, internal_upstream.v3.InternalUpstream",
      "envoy/gateway-static.yaml, random_sampling:, random_sample:",
      "envoy/gateway-bootstrap.yaml, api_type: DELTA_GRPC, api_type: DELTA_GRPCS",
      "envoy/gateway-bootstrap.yaml, set_node_on_first_message_only:, set_node_on_first_message:",
      "envoy/gateway-bootstrap.yaml, bootstrap.internal_listener.v3.InternalListener, bootstrap.internal_listeners.v3.InternalListener",
      "envoy/sidecar-bootstrap.yaml, explicit_http_config:, explicit_http_configs:",
  })
  void misspelledCopy_failsToDecode(String file, String correct, String typo) {
    String text = ModuleTree.read(ModuleTree.file(file));
    assertThat(text).contains(correct);
    String broken = text.replace(correct, typo);
    JsonNode doc = ModuleTree.documents(broken, file + " (misspelled)").get(0);

    assertThatThrownBy(() -> EnvoyJson.bootstrap(doc, file + " (misspelled)"))
        .isInstanceOf(EnvoyJson.EnvoyConfigException.class);
  }

  @Test
  void unregisteredTypedConfigType_failsToDecode() {
    String file = "envoy/gateway-static.yaml";
    String text = ModuleTree.read(ModuleTree.file(file))
        .replace("envoy.extensions.filters.http.router.v3.Router", "envoy.extensions.filters.http.buffer.v3.Buffer");
    JsonNode doc = ModuleTree.documents(text, file).get(0);

    assertThatThrownBy(() -> EnvoyJson.bootstrap(doc, file))
        .isInstanceOf(EnvoyJson.EnvoyConfigException.class)
        .hasMessageContaining("Buffer");
  }

  static Listener listener(Bootstrap b, String name) {
    return b.getStaticResources().getListenersList().stream().filter(l -> l.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no listener " + name));
  }

  static Cluster cluster(Bootstrap b, String name) {
    return b.getStaticResources().getClustersList().stream().filter(c -> c.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no cluster " + name));
  }

  static HttpConnectionManager hcm(Listener l) {
    List<HttpConnectionManager> hcms = l.getFilterChainsList().stream()
        .flatMap(fc -> fc.getFiltersList().stream())
        .filter(f -> f.getName().equals("envoy.filters.network.http_connection_manager"))
        .map(f -> EnvoyJson.unpack(f.getTypedConfig(), HttpConnectionManager.class))
        .toList();
    assertThat(hcms).as("HCMs of listener %s", l.getName()).hasSize(1);
    return hcms.get(0);
  }
}
