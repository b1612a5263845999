package io.meshtrace.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gateway role: the two-stage gateway with header repair (edge listener without tracing,
 * ext_proc before the router, internal listener with tracing) checked field by field, the plain
 * gateway without repair, the ext_proc filter of proxyless gRPC clients, and the checks that
 * guard the internal-listener references.
 */
class GatewaySnapshotTest {

  static final String REPAIR = """
      gateway:
        headerRepair:
          enabled: true
          extProc: {host: ext-proc.meshtrace.svc, port: 18080, timeout: 250ms}
      """;

  private static MeshConfig parse(String yaml) throws ConfigException {
    return ConfigParser.parse(yaml, null);
  }

  private static MeshSnapshots.Result gateway(String yaml) throws ConfigException {
    MeshSnapshots.Result r = MeshSnapshots.build(parse(yaml), "gateway/meshtrace-gateway");
    assertThat(r.errors()).isEmpty();
    return r;
  }

  static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static HttpConnectionManager hcm(Listener l) {
    assertThat(l.getFilterChainsCount()).isEqualTo(1);
    assertThat(l.getFilterChains(0).getFiltersCount()).isEqualTo(1);
    assertThat(l.getFilterChains(0).getFilters(0).getName())
        .isEqualTo("envoy.filters.network.http_connection_manager");
    return unpack(l.getFilterChains(0).getFilters(0).getTypedConfig(),
        HttpConnectionManager.class);
  }

  @Test
  void repairOn_edgeListener_noTracing_extProcBeforeRouter() throws Exception {
    MeshSnapshots.Result r = gateway(TestMesh.base() + REPAIR);
    Map<String, Listener> listeners = r.snapshot().listeners().resources();
    assertThat(listeners).containsOnlyKeys("edge", "tracing");

    Listener edge = listeners.get("edge");
    assertThat(edge.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
    assertThat(edge.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
    assertThat(edge.hasInternalListener()).isFalse();
    HttpConnectionManager h = hcm(edge);
    assertThat(h.hasTracing()).as("the edge must not trace (docs/envoy-facts.md fact 1)").isFalse();
    assertThat(h.getGenerateRequestId().getValue()).isFalse();
    assertThat(h.getPreserveExternalRequestId()).isTrue();
    assertThat(h.getUseRemoteAddress().getValue()).isTrue();
    assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.ext_proc", "envoy.filters.http.router");
    unpack(h.getHttpFilters(1).getTypedConfig(), Router.class);

    ExternalProcessor ep = unpack(h.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class);
    assertThat(ep.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("ext_proc");
    assertThat(ep.getFailureModeAllow()).isTrue();
    assertThat(ep.getMessageTimeout()).isEqualTo(Durations.fromMillis(250));
    ProcessingMode m = ep.getProcessingMode();
    assertThat(m.getRequestHeaderMode()).isEqualTo(ProcessingMode.HeaderSendMode.SEND);
    assertThat(m.getResponseHeaderMode()).isEqualTo(ProcessingMode.HeaderSendMode.SKIP);
    assertThat(m.getRequestTrailerMode()).isEqualTo(ProcessingMode.HeaderSendMode.SKIP);
    assertThat(m.getResponseTrailerMode()).isEqualTo(ProcessingMode.HeaderSendMode.SKIP);
    assertThat(m.getRequestBodyMode()).isEqualTo(ProcessingMode.BodySendMode.NONE);
    assertThat(m.getResponseBodyMode()).isEqualTo(ProcessingMode.BodySendMode.NONE);

    assertThat(h.getRouteConfig().getVirtualHostsCount()).isEqualTo(1);
    assertThat(h.getRouteConfig().getVirtualHosts(0).getDomainsList()).containsExactly("*");
    assertThat(h.getRouteConfig().getVirtualHosts(0).getRoutesList()).singleElement()
        .satisfies(route -> {
          assertThat(route.getMatch().getPrefix()).isEqualTo("/");
          assertThat(route.getRoute().getCluster()).isEqualTo("internal_tracing");
        });
  }

  @Test
  void repairOn_internalListener_tracesAndRoutesToServices() throws Exception {
    MeshSnapshots.Result r = gateway(TestMesh.base() + REPAIR);
    Listener tracing = r.snapshot().listeners().resources().get("tracing");
    assertThat(tracing.hasInternalListener()).isTrue();
    assertThat(tracing.hasAddress()).as("an internal listener has no socket").isFalse();
    assertThat(tracing.getTrafficDirection())
        .isEqualTo(io.envoyproxy.envoy.config.core.v3.TrafficDirection.OUTBOUND);
    HttpConnectionManager h = hcm(tracing);
    assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.router");
    HttpConnectionManager.Tracing t = h.getTracing();
    assertThat(t.getRandomSampling().getValue()).isEqualTo(10.0);
    assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.opentelemetry");
    OpenTelemetryConfig otel = unpack(t.getProvider().getTypedConfig(),
        OpenTelemetryConfig.class);
    assertThat(otel.getServiceName()).isEqualTo("meshtrace-gateway");
    assertThat(otel.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("tracing|otel");
    assertThat(t.getCustomTagsList()).extracting(CustomTag::getTag).contains("meshtrace.repair");
    CustomTag repair = t.getCustomTagsList().stream()
        .filter(c -> c.getTag().equals("meshtrace.repair")).findFirst().orElseThrow();
    assertThat(repair.getRequestHeader().getName()).isEqualTo("x-meshtrace-repair");
    assertThat(repair.getRequestHeader().getDefaultValue()).isEqualTo("none");

    // Default route: everything to the first service's first port.
    assertThat(h.getRouteConfig().getVirtualHosts(0).getRoutesList()).singleElement()
        .satisfies(route -> {
          assertThat(route.getMatch().getPrefix()).isEqualTo("/");
          assertThat(route.getRoute().getCluster()).isEqualTo("outbound|9080||productpage");
        });
  }

  @Test
  void repairOn_clusters_internalAndExtProcAndServices() throws Exception {
    MeshSnapshots.Result r = gateway(TestMesh.base() + REPAIR);
    Map<String, Cluster> clusters = r.snapshot().clusters().resources();
    assertThat(clusters).containsOnlyKeys("internal_tracing", "ext_proc",
        "outbound|9080||productpage", "tracing|otel");
    assertThat(r.snapshot().endpoints().resources()).containsOnlyKeys(
        "outbound|9080||productpage");

    Cluster internal = clusters.get("internal_tracing");
    Address a = internal.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint()
        .getAddress();
    assertThat(a.getEnvoyInternalAddress().getServerListenerName()).isEqualTo("tracing");
    assertThat(internal.getTransportSocket().getName())
        .isEqualTo("envoy.transport_sockets.internal_upstream");
    InternalUpstreamTransport iut = unpack(internal.getTransportSocket().getTypedConfig(),
        InternalUpstreamTransport.class);
    assertThat(iut.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.raw_buffer");
    unpack(iut.getTransportSocket().getTypedConfig(), RawBuffer.class);

    Cluster ext = clusters.get("ext_proc");
    assertThat(ext.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    assertThat(ext.getConnectTimeout()).isEqualTo(Durations.fromSeconds(1));
    assertThat(ext.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint()
        .getAddress().getSocketAddress())
        .satisfies(s -> {
          assertThat(s.getAddress()).isEqualTo("ext-proc.meshtrace.svc");
          assertThat(s.getPortValue()).isEqualTo(18080);
        });
    HttpProtocolOptions http2 = unpack(ext.getTypedExtensionProtocolOptionsMap().get(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"), HttpProtocolOptions.class);
    assertThat(http2.getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
  }

  @Test
  void repairOn_everyResourcePassesEnvoyRules() throws Exception {
    MeshSnapshots.Result r = gateway(TestMesh.base() + REPAIR);
    List<Message> all = new java.util.ArrayList<>();
    all.addAll(r.snapshot().listeners().resources().values());
    all.addAll(r.snapshot().clusters().resources().values());
    all.addAll(r.snapshot().endpoints().resources().values());
    for (Message m : all) {
      assertThat(MeshSnapshots.rules().check(m)).as(m.toString()).isEmpty();
    }
  }

  @Test
  void envoyRules_seeInsideTheExtProcFilter() throws Exception {
    MeshSnapshots.Result r = gateway(TestMesh.base() + REPAIR);
    Listener edge = r.snapshot().listeners().resources().get("edge");
    HttpConnectionManager h = hcm(edge);
    ExternalProcessor ep = unpack(h.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class);
    // message_timeout is limited to 3600s by Envoy's rules: the checker must reach it through
    // Listener -> HCM Any -> HttpFilter Any.
    ExternalProcessor broken = ep.toBuilder().setMessageTimeout(Durations.fromSeconds(4000))
        .build();
    HttpConnectionManager bad = h.toBuilder().setHttpFilters(0, h.getHttpFilters(0).toBuilder()
        .setTypedConfig(Any.pack(broken))).build();
    Listener badEdge = edge.toBuilder().setFilterChains(0, edge.getFilterChains(0).toBuilder()
        .setFilters(0, edge.getFilterChains(0).getFilters(0).toBuilder()
            .setTypedConfig(Any.pack(bad)))).build();
    assertThat(MeshSnapshots.rules().check(badEdge)).anySatisfy(v ->
        assertThat(v).contains("message_timeout"));
  }

  @Test
  void repairOn_extProcIp_staticCluster_andConfigValuesFlowThrough() throws Exception {
    MeshSnapshots.Result r = gateway(TestMesh.base() + """
        gateway:
          port: 9000
          hosts: [bookinfo.example.com]
          routes:
            - {prefix: /reviews, service: reviews}
            - {prefix: /, service: productpage, port: 9080}
          headerRepair:
            enabled: true
            markerHeader: x-repaired
            extProc: {host: 127.0.0.1, port: 19090, timeout: 1s, failureModeAllow: false}
        """);
    Cluster ext = r.snapshot().clusters().resources().get("ext_proc");
    assertThat(ext.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    Listener edge = r.snapshot().listeners().resources().get("edge");
    assertThat(edge.getAddress().getSocketAddress().getPortValue()).isEqualTo(9000);
    ExternalProcessor ep = unpack(hcm(edge).getHttpFilters(0).getTypedConfig(),
        ExternalProcessor.class);
    assertThat(ep.getFailureModeAllow()).isFalse();
    assertThat(ep.getMessageTimeout()).isEqualTo(Durations.fromSeconds(1));
    HttpConnectionManager traced = hcm(r.snapshot().listeners().resources().get("tracing"));
    assertThat(traced.getRouteConfig().getVirtualHosts(0).getDomainsList())
        .containsExactly("bookinfo.example.com");
    assertThat(traced.getRouteConfig().getVirtualHosts(0).getRoutesList())
        .extracting(x -> x.getMatch().getPrefix() + " " + x.getRoute().getCluster())
        .containsExactly("/reviews outbound|9080||reviews", "/ outbound|9080||productpage");
    assertThat(traced.getTracing().getCustomTagsList()).filteredOn(
        c -> c.getTag().equals("meshtrace.repair")).singleElement()
        .satisfies(c -> assertThat(c.getRequestHeader().getName()).isEqualTo("x-repaired"));
  }

  @Test
  void repairOff_plainGateway_oneListenerWithTracing() throws Exception {
    MeshSnapshots.Result r = gateway(TestMesh.base());
    assertThat(r.snapshot().listeners().resources()).containsOnlyKeys("gateway");
    Listener l = r.snapshot().listeners().resources().get("gateway");
    assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
    HttpConnectionManager h = hcm(l);
    assertThat(h.hasTracing()).isTrue();
    assertThat(h.getTracing().getCustomTagsList()).extracting(CustomTag::getTag)
        .doesNotContain("meshtrace.repair");
    assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.router");
    assertThat(r.snapshot().clusters().resources()).doesNotContainKeys("ext_proc",
        "internal_tracing");
  }

  @Test
  void gatewayRole_tracingRuleSelectingTheGateway_applies() throws Exception {
    MeshSnapshots.Result r = gateway("""
        extensionProviders:
          - name: otel
            opentelemetry: {service: otel-collector.observability, port: 4317}
          - name: zipkin
            zipkin: {service: zipkin.observability, port: 9411}
        defaultProviders:
          tracing: [otel]
        tracing:
          - randomSamplingPercentage: 10
          - selector: {services: [meshtrace-gateway]}
            providers: [{name: zipkin}]
            randomSamplingPercentage: 100
        services:
          - name: meshtrace-gateway
            ports: [{number: 8080}]
          - name: productpage
            ports: [{number: 9080}]
            endpoints: [{address: 10.0.0.10}]
        gateway:
          routes: [{prefix: /, service: productpage}]
          headerRepair:
            enabled: true
            extProc: {host: 127.0.0.1}
        """);
    HttpConnectionManager.Tracing t = hcm(r.snapshot().listeners().resources().get("tracing"))
        .getTracing();
    assertThat(t.getRandomSampling().getValue()).isEqualTo(100.0);
    assertThat(unpack(t.getProvider().getTypedConfig(), ZipkinConfig.class)
        .getCollectorCluster()).isEqualTo("tracing|zipkin");
  }

  @Test
  void grpcRole_repairOn_extProcFilterBeforeRouter_googleGrpcTarget() throws Exception {
    MeshSnapshots.Result r = MeshSnapshots.build(parse(TestMesh.base() + REPAIR), "grpc/");
    assertThat(r.errors()).isEmpty();
    Listener l = r.snapshot().listeners().resources().get("reviews");
    HttpConnectionManager h = unpack(l.getApiListener().getApiListener(),
        HttpConnectionManager.class);
    assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.ext_proc", "envoy.filters.http.router");
    assertThat(h.getHttpFilters(0).getIsOptional()).isTrue();
    ExternalProcessor ep = unpack(h.getHttpFilters(0).getTypedConfig(), ExternalProcessor.class);
    assertThat(ep.getGrpcService().getGoogleGrpc().getTargetUri())
        .isEqualTo("dns:///ext-proc.meshtrace.svc:18080");
    assertThat(ep.getGrpcService().getGoogleGrpc().getUnknownFields()
        .hasField(ProxylessGrpcBuilder.CHANNEL_CREDENTIALS_PLUGIN_FIELD)).isTrue();
    assertThat(ep.getProcessingMode().getResponseHeaderMode())
        .isEqualTo(ProcessingMode.HeaderSendMode.SKIP);
  }

  @Test
  void grpcRole_repairOff_noExtProcFilter() throws Exception {
    MeshSnapshots.Result r = MeshSnapshots.build(parse(TestMesh.base()), "grpc/");
    HttpConnectionManager h = unpack(r.snapshot().listeners().resources().get("reviews")
        .getApiListener().getApiListener(), HttpConnectionManager.class);
    assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.router");
  }

  @Test
  void hostNameEndpoints_envoyGetsStrictDns_grpcGetsLogicalDns() throws Exception {
    MeshConfig c = parse(TestMesh.base().replace("address: 10.0.0.10",
        "address: productpage.bookinfo.svc"));
    Cluster envoy = MeshSnapshots.build(c, "gateway/meshtrace-gateway").snapshot().clusters()
        .resources().get("outbound|9080||productpage");
    assertThat(envoy.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    assertThat(envoy.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint()
        .getAddress().getSocketAddress().getAddress()).isEqualTo("productpage.bookinfo.svc");
    MeshSnapshots.Result grpc = MeshSnapshots.build(c, "grpc/");
    assertThat(grpc.snapshot().clusters().resources().get("outbound|9080||productpage")
        .getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
    assertThat(grpc.snapshot().endpoints().resources())
        .doesNotContainKey("outbound|9080||productpage");
  }

  @Test
  void groups_includeTheShippedGatewayCluster() throws Exception {
    assertThat(MeshSnapshots.groups(parse(TestMesh.base()))).extracting(GroupKey::toString)
        .contains("gateway/", "gateway/meshtrace-gateway")
        .doesNotContain("gateway/productpage");
  }

  @Test
  void nodeRole_lowerCaseKeyAsShippedBootstrap_andLegacyUpperCase() {
    var lower = io.envoyproxy.envoy.config.core.v3.Node.newBuilder().setCluster("meshtrace-gateway")
        .setMetadata(com.google.protobuf.Struct.newBuilder().putFields("role",
            com.google.protobuf.Value.newBuilder().setStringValue("gateway").build())).build();
    var upper = lower.toBuilder().setMetadata(com.google.protobuf.Struct.newBuilder()
        .putFields("ROLE", com.google.protobuf.Value.newBuilder().setStringValue("grpc")
            .build())).build();
    assertThat(new NodeGroups().hash(lower)).hasToString("gateway/meshtrace-gateway");
    assertThat(new NodeGroups().hash(upper)).hasToString("grpc/meshtrace-gateway");
  }

  // ------------------------------------------------ consistency checks

  @Test
  void internalReference_toMissingListener_isAnError() throws Exception {
    SnapshotBuilder b = new SnapshotBuilder(parse(TestMesh.base() + REPAIR),
        "gateway/meshtrace-gateway", MeshSnapshots.rules()).build();
    assertThat(b.errors()).isEmpty();
    // Drop the internal listener and check again: the cluster's reference dangles.
    b.listeners().remove("tracing");
    SnapshotBuilder again = recheck(b);
    assertThat(again.errors()).anySatisfy(e -> assertThat(e)
        .contains("cluster internal_tracing reaches internal listener tracing")
        .contains("not in the snapshot"));
  }

  @Test
  void internalListener_reachedByNoCluster_isAnError() throws Exception {
    SnapshotBuilder b = new SnapshotBuilder(parse(TestMesh.base() + REPAIR),
        "gateway/meshtrace-gateway", MeshSnapshots.rules()).build();
    b.clusters().remove("internal_tracing");
    SnapshotBuilder again = recheck(b);
    assertThat(again.errors()).anySatisfy(e -> assertThat(e)
        .contains("internal listener tracing is reached by no cluster"));
  }

  @Test
  void internalReference_toNonInternalListener_isAnError() throws Exception {
    SnapshotBuilder b = new SnapshotBuilder(parse(TestMesh.base() + REPAIR),
        "gateway/meshtrace-gateway", MeshSnapshots.rules()).build();
    b.listeners().put("tracing", b.listeners().get("tracing").toBuilder()
        .clearInternalListener().build());
    SnapshotBuilder again = recheck(b);
    assertThat(again.errors()).anySatisfy(e -> assertThat(e)
        .contains("which is not an internal listener"));
  }

  private static SnapshotBuilder recheck(SnapshotBuilder b) {
    return b.recheckReferences();
  }
}
