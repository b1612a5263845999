package io.meshtrace.xds.server;

import static io.meshtrace.xds.server.AdsTestClient.CDS;
import static io.meshtrace.xds.server.AdsTestClient.EDS;
import static io.meshtrace.xds.server.AdsTestClient.LDS;
import static io.meshtrace.xds.server.AdsTestClient.RDS;
import static io.meshtrace.xds.server.AdsTestClient.unpack;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.trace.v3.DatadogConfig;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannelBuilder;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A raw ADS client against the real server on 127.0.0.1: SotW and delta. */
class AdsServerTest {

  @TempDir
  Path dir;

  static final String TRACING = """
      defaultProviders:
        tracing: [p]
      tracing:
        - randomSamplingPercentage: 12.5
          clientSamplingPercentage: 80
          overallSamplingPercentage: 90
          useRequestIdForTraceSampling: false
          maxPathTagLength: 128
          customTags:
            team: {literal: {value: books}}
      """;

  static Stream<Arguments> providers() {
    List<Arguments> out = new ArrayList<>();
    Map<String, String> providers = new HashMap<>();
    providers.put("otel-grpc", """
        extensionProviders:
          - name: p
            opentelemetry:
              service: otel.observability
              port: 4317
              grpc:
                timeout: 2s
                initialMetadata: [{name: x-tenant, value: books}]
        """);
    providers.put("otel-http", """
        extensionProviders:
          - name: p
            opentelemetry:
              service: otel.observability
              port: 4318
              http:
                path: /v1/traces
                timeout: 3s
                headers: [{name: authorization, value: "Bearer abc"}]
        """);
    providers.put("zipkin", """
        propagation: b3
        extensionProviders:
          - name: p
            zipkin:
              service: zipkin.observability
              port: 9411
              encoding: proto
        """);
    providers.put("skywalking", """
        extensionProviders:
          - name: p
            skywalking:
              service: 10.1.2.3
              port: 11800
              accessToken: tok
        """);
    providers.put("datadog", """
        extensionProviders:
          - name: p
            datadog:
              service: datadog-agent
              port: 8126
        """);
    for (String mode : List.of("sotw", "delta")) {
      for (String kind : List.of("otel-grpc", "otel-http", "zipkin", "skywalking", "datadog")) {
        out.add(Arguments.of(kind, mode, providers.get(kind)));
      }
    }
    return out.stream();
  }

  static Node sidecar(String id, String service) {
    return Node.newBuilder().setId(id).setCluster(service).build();
  }

  private AdsTestClient client(TestServer s, Node node, boolean delta) {
    return new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1",
        s.app.adsPort()).usePlaintext().build(), node, delta);
  }

  /** Fetches every type the way Envoy does: wildcard CDS/LDS, then EDS and RDS by name. */
  static Map<String, List<Any>> syncSotw(AdsTestClient c) throws InterruptedException {
    Map<String, List<Any>> out = new HashMap<>();
    c.request(CDS, List.of(), "", "", null);
    c.request(LDS, List.of(), "", "", null);
    DiscoveryResponse cds = c.next(CDS, 5000);
    c.ack(cds, List.of());
    List<String> eds = new ArrayList<>();
    for (Any a : cds.getResourcesList()) {
      Cluster cl = unpack(a, Cluster.class);
      if (cl.getType() == Cluster.DiscoveryType.EDS) {
        eds.add(cl.getName());
      }
    }
    c.request(EDS, eds, "", "", null);
    DiscoveryResponse lds = c.next(LDS, 5000);
    c.ack(lds, List.of());
    c.request(RDS, List.of("outbound"), "", "", null);
    DiscoveryResponse e = c.next(EDS, 5000);
    c.ack(e, eds);
    DiscoveryResponse r = c.next(RDS, 5000);
    c.ack(r, List.of("outbound"));
    out.put(CDS, cds.getResourcesList());
    out.put(LDS, lds.getResourcesList());
    out.put(EDS, e.getResourcesList());
    out.put(RDS, r.getResourcesList());
    return out;
  }

  static Map<String, List<Any>> syncDelta(AdsTestClient c) throws InterruptedException {
    Map<String, List<Any>> out = new HashMap<>();
    c.deltaRequest(CDS, List.of(), "", null);
    c.deltaRequest(LDS, List.of(), "", null);
    DeltaDiscoveryResponse cds = c.nextDelta(CDS, 5000);
    c.ackDelta(cds);
    List<String> eds = new ArrayList<>();
    for (Resource res : cds.getResourcesList()) {
      Cluster cl = unpack(res.getResource(), Cluster.class);
      if (cl.getType() == Cluster.DiscoveryType.EDS) {
        eds.add(cl.getName());
      }
    }
    c.deltaRequest(EDS, eds, "", null);
    DeltaDiscoveryResponse lds = c.nextDelta(LDS, 5000);
    c.ackDelta(lds);
    c.deltaRequest(RDS, List.of("outbound"), "", null);
    DeltaDiscoveryResponse e = c.nextDelta(EDS, 5000);
    c.ackDelta(e);
    DeltaDiscoveryResponse r = c.nextDelta(RDS, 5000);
    c.ackDelta(r);
    out.put(CDS, resources(cds));
    out.put(LDS, resources(lds));
    out.put(EDS, resources(e));
    out.put(RDS, resources(r));
    return out;
  }

  private static List<Any> resources(DeltaDiscoveryResponse r) {
    List<Any> out = new ArrayList<>();
    r.getResourcesList().forEach(x -> out.add(x.getResource()));
    return out;
  }

  static Map<String, Listener> listeners(List<Any> lds) {
    Map<String, Listener> out = new HashMap<>();
    lds.forEach(a -> {
      Listener l = unpack(a, Listener.class);
      out.put(l.getName(), l);
    });
    return out;
  }

  static HttpConnectionManager hcm(Listener l) {
    return unpack(l.getFilterChains(0).getFilters(0).getTypedConfig(),
        HttpConnectionManager.class);
  }

  static Map<String, Cluster> clusters(List<Any> cds) {
    Map<String, Cluster> out = new HashMap<>();
    cds.forEach(a -> {
      Cluster c = unpack(a, Cluster.class);
      out.put(c.getName(), c);
    });
    return out;
  }

  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("providers")
  void sidecar_provider_tracingBlockAsConfigured(String kind, String mode, String providers)
      throws Exception {
    try (TestServer s = TestServer.start(dir,
            TestMesh.yaml(providers, TRACING, TestMesh.SERVICES));
        AdsTestClient c = client(s, sidecar("sidecar~10.0.0.10~pp-1", "productpage"),
            mode.equals("delta"))) {
      Map<String, List<Any>> res = c.delta() ? syncDelta(c) : syncSotw(c);

      Map<String, Listener> ls = listeners(res.get(LDS));
      assertThat(ls).containsOnlyKeys("virtualInbound", "virtualOutbound");
      for (Listener l : ls.values()) {
        HttpConnectionManager.Tracing t = hcm(l).getTracing();
        assertThat(t.getRandomSampling().getValue()).isEqualTo(12.5);
        assertThat(t.getClientSampling().getValue()).isEqualTo(80.0);
        assertThat(t.getOverallSampling().getValue()).isEqualTo(90.0);
        assertThat(t.getMaxPathTagLength().getValue()).isEqualTo(128);
        assertThat(t.getCustomTagsList()).singleElement()
            .satisfies(tag -> assertThat(tag.getLiteral().getValue()).isEqualTo("books"));
        assertThat(unpack(hcm(l).getRequestIdExtension().getTypedConfig(),
            UuidRequestIdConfig.class).getUseRequestIdForTraceSampling().getValue()).isFalse();
        assertProvider(kind, t);
      }
      Map<String, Cluster> cs = clusters(res.get(CDS));
      Cluster collector = cs.get("tracing|p");
      assertThat(collector).isNotNull();
      boolean http2 = kind.equals("otel-grpc") || kind.equals("skywalking");
      assertThat(collector.getTypedExtensionProtocolOptionsMap().containsKey(
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions")).isEqualTo(http2);
      assertThat(collector.getType()).isEqualTo(kind.equals("skywalking")
          ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS);
      assertThat(cs).containsKeys("outbound|9080||productpage", "outbound|9080||reviews",
          "inbound|9080||productpage");
      assertThat(cs.get("outbound|9080||reviews").getTypedExtensionProtocolOptionsMap())
          .containsKey("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
      assertThat(res.get(EDS)).hasSize(2);
      RouteConfiguration rc = unpack(res.get(RDS).get(0), RouteConfiguration.class);
      assertThat(rc.getVirtualHostsList()).flatExtracting(v -> v.getDomainsList())
          .contains("reviews", "reviews:9080", "productpage");

      awaitSynced(s, "sidecar/productpage", 4);
    }
  }

  private static void assertProvider(String kind, HttpConnectionManager.Tracing t) {
    switch (kind) {
      case "otel-grpc": {
        assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.opentelemetry");
        OpenTelemetryConfig o = unpack(t.getProvider().getTypedConfig(),
            OpenTelemetryConfig.class);
        assertThat(o.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("tracing|p");
        assertThat(o.getGrpcService().getTimeout().getSeconds()).isEqualTo(2);
        assertThat(o.getGrpcService().getInitialMetadata(0).getKey()).isEqualTo("x-tenant");
        assertThat(o.getServiceName()).isEqualTo("productpage");
        assertThat(o.hasHttpService()).isFalse();
        break;
      }
      case "otel-http": {
        OpenTelemetryConfig o = unpack(t.getProvider().getTypedConfig(),
            OpenTelemetryConfig.class);
        assertThat(o.getHttpService().getHttpUri().getUri())
            .isEqualTo("http://otel.observability:4318/v1/traces");
        assertThat(o.getHttpService().getHttpUri().getCluster()).isEqualTo("tracing|p");
        assertThat(o.getHttpService().getHttpUri().getTimeout().getSeconds()).isEqualTo(3);
        assertThat(o.getHttpService().getRequestHeadersToAdd(0).getHeader().getValue())
            .isEqualTo("Bearer abc");
        assertThat(o.hasGrpcService()).isFalse();
        break;
      }
      case "zipkin": {
        assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.zipkin");
        ZipkinConfig z = unpack(t.getProvider().getTypedConfig(), ZipkinConfig.class);
        assertThat(z.getCollectorCluster()).isEqualTo("tracing|p");
        assertThat(z.getCollectorEndpoint()).isEqualTo("/api/v2/spans");
        assertThat(z.getCollectorEndpointVersion())
            .isEqualTo(ZipkinConfig.CollectorEndpointVersion.HTTP_PROTO);
        assertThat(z.getTraceId128Bit()).isTrue();
        assertThat(z.getCollectorHostname()).isEqualTo("zipkin.observability");
        break;
      }
      case "skywalking": {
        assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.skywalking");
        SkyWalkingConfig w = unpack(t.getProvider().getTypedConfig(), SkyWalkingConfig.class);
        assertThat(w.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("tracing|p");
        assertThat(w.getClientConfig().getBackendToken()).isEqualTo("tok");
        assertThat(t.getSpawnUpstreamSpan().getValue()).isTrue();
        break;
      }
      default: {
        assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.datadog");
        DatadogConfig d = unpack(t.getProvider().getTypedConfig(), DatadogConfig.class);
        assertThat(d.getCollectorCluster()).isEqualTo("tracing|p");
        assertThat(d.getServiceName()).isEqualTo("productpage");
      }
    }
  }

  /** Waits until the group's node has acknowledged {@code types} resource types. */
  static Map<String, Object> awaitSynced(TestServer s, String group, int types)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5000;
    Map<String, Object> last = null;
    while (System.currentTimeMillis() < deadline) {
      for (Map<String, Object> p : s.app.plane().registry().proxies()) {
        if (p.get("group").equals(group)) {
          last = p;
          @SuppressWarnings("unchecked")
          Map<String, Map<String, Object>> t = (Map<String, Map<String, Object>>) p.get("types");
          if (t.size() >= types && t.values().stream().allMatch(x -> (Boolean) x.get("synced"))) {
            return p;
          }
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("group " + group + " not synced: " + last);
  }

  @Test
  void sidecar_perServiceAndModeRules_inboundAndOutboundDiffer() throws Exception {
    String tracing = """
        defaultProviders: {tracing: [otel]}
        tracing:
          - randomSamplingPercentage: 1
          - selector: {services: [productpage]}
            match: {mode: SERVER}
            randomSamplingPercentage: 50
          - selector: {services: [reviews]}
            disableSpanReporting: true
        """;
    String services = TestMesh.SERVICES.replace("""
                  - address: 10.0.0.10
            """, """
                  - address: 10.0.0.10
                routes:
                  - name: api
                    prefix: /api
                    tracing: {randomSamplingPercentage: 0.05, clientSamplingPercentage: 100}
            """);
    try (TestServer s = TestServer.start(dir,
            TestMesh.yaml(TestMesh.PROVIDERS, tracing, services));
        AdsTestClient pp = client(s, sidecar("pp", "productpage"), false);
        AdsTestClient rv = client(s, sidecar("rv", "reviews"), true)) {
      Map<String, Listener> ppl = listeners(syncSotw(pp).get(LDS));
      assertThat(hcm(ppl.get("virtualInbound")).getTracing().getRandomSampling().getValue())
          .isEqualTo(50.0);
      assertThat(hcm(ppl.get("virtualOutbound")).getTracing().getRandomSampling().getValue())
          .isEqualTo(1.0);
      var inboundRoute = hcm(ppl.get("virtualInbound")).getRouteConfig().getVirtualHosts(0)
          .getRoutes(0);
      assertThat(inboundRoute.getName()).isEqualTo("api");
      assertThat(inboundRoute.getTracing().getRandomSampling().getNumerator()).isEqualTo(500);
      assertThat(inboundRoute.getTracing().getRandomSampling().getDenominator().name())
          .isEqualTo("MILLION");

      Map<String, List<Any>> rvRes = syncDelta(rv);
      Map<String, Listener> rvl = listeners(rvRes.get(LDS));
      assertThat(hcm(rvl.get("virtualInbound")).hasTracing()).isFalse();
      assertThat(hcm(rvl.get("virtualOutbound")).hasTracing()).isFalse();
      assertThat(clusters(rvRes.get(CDS))).doesNotContainKey("tracing|otel");
    }
  }

  @Test
  void sotw_nack_notResentShownAndCountedThenNewVersionFlows() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = client(s, sidecar("pp", "productpage"), false)) {
      c.request(CDS, List.of(), "", "", null);
      DiscoveryResponse cds = c.next(CDS, 5000);
      c.nack(cds, List.of(), "", "cluster outbound|9080||reviews: rejected for the test");
      // java-control-plane alone would answer this NACK at once with the same version.
      assertThat(c.poll(CDS, 1000)).isNull();

      Map<String, Object> p = s.app.plane().registry().proxies().get(0);
      @SuppressWarnings("unchecked")
      Map<String, Object> nack = (Map<String, Object>) p.get("lastNack");
      assertThat(nack).containsEntry("type", "clusters")
          .containsEntry("version", cds.getVersionInfo());
      assertThat((String) nack.get("message")).contains("rejected for the test");
      assertThat(s.get("/metrics").body())
          .contains("meshtrace_xds_nacks_total{type=\"clusters\"} 1");
      assertThat(s.get("/proxies").body()).contains("rejected for the test");

      // A new config reaches the node that NACKed (reviews loses its HTTP/2 options).
      Files.writeString(s.file, TestServer.withServer(TestMesh.base())
          .replace("protocol: GRPC", "protocol: HTTP"));
      DiscoveryResponse next = c.next(CDS, 5000);
      assertThat(next.getVersionInfo()).isNotEqualTo(cds.getVersionInfo());
      c.ack(next, List.of());
      awaitSynced(s, "sidecar/productpage", 1);
    }
  }

  @Test
  void delta_nack_notResentShown() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = client(s, sidecar("pp", "productpage"), true)) {
      c.deltaRequest(CDS, List.of(), "", null);
      DeltaDiscoveryResponse cds = c.nextDelta(CDS, 5000);
      c.ackDelta(cds);
      c.deltaRequest(RDS, List.of("outbound"), "", null);
      DeltaDiscoveryResponse rds = c.nextDelta(RDS, 5000);
      c.deltaRequest(RDS, List.of(), rds.getNonce(), com.google.rpc.Status.newBuilder()
          .setCode(3).setMessage("route rejected for the test").build());
      assertThat(c.pollDelta(RDS, 1000)).isNull();
      assertThat(s.get("/proxies").body()).contains("route rejected for the test")
          .contains("\"protocol\" : \"delta\"");
      assertThat(s.app.plane().registry().proxies().get(0).get("group"))
          .isEqualTo("sidecar/productpage");

      // Change sampling: the listener changes, and the NACKed route set is sent again only
      // when it changes.
      var put = s.put("/config/tracing",
          "{\"tracing\":[{\"randomSamplingPercentage\":33}]}", TestServer.TOKEN);
      assertThat(put.statusCode()).isEqualTo(200);
      c.deltaRequest(LDS, List.of(), "", null);
      DeltaDiscoveryResponse lds = c.nextDelta(LDS, 5000);
      assertThat(listeners(resources(lds)).get("virtualOutbound"))
          .satisfies(l -> assertThat(hcm(l).getTracing().getRandomSampling().getValue())
              .isEqualTo(33.0));

      // The route set that was NACKed is sent again once it changes.
      Files.writeString(s.file, TestServer.withServer(TestMesh.base()
          .replace("randomSamplingPercentage: 10", "randomSamplingPercentage: 33")
          .replace("  - name: reviews\n", "  - name: reviews\n    hosts: [reviews.books.svc]\n")));
      DeltaDiscoveryResponse again = c.nextDelta(RDS, 5000);
      assertThat(unpack(again.getResources(0).getResource(), RouteConfiguration.class)
          .getVirtualHostsList()).flatExtracting(v -> v.getDomainsList())
          .contains("reviews.books.svc");
    }
  }

  @Test
  void nodeOfUnknownService_getsOutboundOnlySnapshot() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = client(s, sidecar("pay-1", "payments"), false)) {
      Map<String, List<Any>> res = syncSotw(c);
      assertThat(listeners(res.get(LDS))).containsOnlyKeys("virtualOutbound");
      assertThat(hcm(listeners(res.get(LDS)).get("virtualOutbound")).getTracing()
          .getProvider().getTypedConfig().unpack(OpenTelemetryConfig.class).getServiceName())
          .isEqualTo("payments");
      awaitSynced(s, "sidecar/payments", 4);
    }
  }

  @Test
  void badFile_whileConnected_noNewVersionLastGoodStays() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = client(s, sidecar("pp", "productpage"), false)) {
      Map<String, List<Any>> before = syncSotw(c);
      Map<String, String> versions = s.app.plane().versions("sidecar/productpage");

      Files.writeString(s.file, TestServer.withServer(TestMesh.base())
          .replace("randomSamplingPercentage: 10", "randomSamplingPercentage: 140"));
      long deadline = System.currentTimeMillis() + 5000;
      while (s.app.source().lastErrors().isEmpty() && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertThat(s.app.source().lastErrors()).singleElement().asString()
          .contains("tracing[0].randomSamplingPercentage=140");
      for (String type : List.of(CDS, EDS, LDS, RDS)) {
        assertThat(c.poll(type, type.equals(CDS) ? 600 : 50)).as(type).isNull();
      }
      assertThat(s.app.plane().versions("sidecar/productpage")).isEqualTo(versions);
      assertThat(s.get("/metrics").body())
          .contains("meshtrace_xds_config_reloads_total{result=\"rejected\"} 1");
      assertThat(s.get("/config/tracing").body()).contains("randomSamplingPercentage=140");

      // The next good file goes through.
      Files.writeString(s.file, TestServer.withServer(TestMesh.base())
          .replace("randomSamplingPercentage: 10", "randomSamplingPercentage: 20"));
      DiscoveryResponse lds = c.next(LDS, 5000);
      assertThat(hcm(listeners(lds.getResourcesList()).get("virtualOutbound")).getTracing()
          .getRandomSampling().getValue()).isEqualTo(20.0);
      assertThat(before.get(LDS)).isNotEqualTo(lds.getResourcesList());
    }
  }

  @Test
  void restart_sameFile_sameVersions() throws Exception {
    Map<String, String> first = new HashMap<>();
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = client(s, sidecar("pp", "productpage"), false)) {
      c.request(CDS, List.of(), "", "", null);
      c.request(LDS, List.of(), "", "", null);
      first.put(CDS, c.next(CDS, 5000).getVersionInfo());
      first.put(LDS, c.next(LDS, 5000).getVersionInfo());
    }
    try (TestServer s = TestServer.restart(dir);
        AdsTestClient c = client(s, sidecar("pp-2", "productpage"), false)) {
      c.request(CDS, List.of(), "", "", null);
      c.request(LDS, List.of(), "", "", null);
      assertThat(c.next(CDS, 5000).getVersionInfo()).isEqualTo(first.get(CDS));
      assertThat(c.next(LDS, 5000).getVersionInfo()).isEqualTo(first.get(LDS));
    }
  }

  @Test
  void grpcRoleFromMetadata_getsApiListeners() throws Exception {
    Node node = Node.newBuilder().setId("client-1").setCluster("productpage")
        .setMetadata(Struct.newBuilder().putFields("ROLE", Value.newBuilder()
            .setStringValue("grpc").build())).build();
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = client(s, node, false)) {
      c.request(LDS, List.of("reviews"), "", "", null);
      DiscoveryResponse lds = c.next(LDS, 5000);
      Listener l = unpack(lds.getResources(0), Listener.class);
      assertThat(l.getName()).isEqualTo("reviews");
      HttpConnectionManager h = unpack(l.getApiListener().getApiListener(),
          HttpConnectionManager.class);
      assertThat(h.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
          .isEqualTo("outbound|9080||reviews");
      assertThat(h.getTracing().getRandomSampling().getValue()).isEqualTo(10.0);
      assertThat(s.app.plane().registry().proxies().get(0).get("group"))
          .isEqualTo("grpc/productpage");
    }
  }

  @Test
  void gateway_samplingAndProviderChanges_reachTheInternalListener() throws Exception {
    Node node = Node.newBuilder().setId("gw-1").setCluster("meshtrace-gateway")
        .setMetadata(Struct.newBuilder().putFields("role", Value.newBuilder()
            .setStringValue("gateway").build())).build();
    String yaml = TestMesh.yaml(TestMesh.PROVIDERS + """
          - name: zipkin
            zipkin: {service: zipkin.observability, port: 9411}
        """, TestMesh.TRACING, TestMesh.SERVICES) + """
        gateway:
          headerRepair:
            enabled: true
            extProc: {host: 127.0.0.1, port: 18080}
        """;
    try (TestServer s = TestServer.start(dir, yaml);
        AdsTestClient c = client(s, node, true)) {
      c.deltaRequest(LDS, List.of(), "", null);
      DeltaDiscoveryResponse first = c.nextDelta(LDS, 5000);
      c.ackDelta(first);
      Map<String, Listener> before = new HashMap<>();
      for (Resource r : first.getResourcesList()) {
        Listener l = unpack(r.getResource(), Listener.class);
        before.put(l.getName(), l);
      }
      assertThat(before).containsOnlyKeys("edge", "tracing");
      HttpConnectionManager.Tracing t0 = tracingOf(before.get("tracing"));
      assertThat(t0.getRandomSampling().getValue()).isEqualTo(10.0);
      assertThat(t0.getProvider().getName()).isEqualTo("envoy.tracers.opentelemetry");
      assertThat(s.app.plane().registry().proxies().get(0).get("group"))
          .isEqualTo("gateway/meshtrace-gateway");

      var put = s.put("/config/tracing", """
          {"defaultProviders": {"tracing": ["zipkin"]},
           "tracing": [{"randomSamplingPercentage": 42.5}]}
          """, TestServer.TOKEN);
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

      DeltaDiscoveryResponse next = c.nextDelta(LDS, 5000);
      Map<String, Listener> after = new HashMap<>();
      for (Resource r : next.getResourcesList()) {
        Listener l = unpack(r.getResource(), Listener.class);
        after.put(l.getName(), l);
      }
      // Only the listener that traces changed; the edge listener is not re-sent.
      assertThat(after).containsOnlyKeys("tracing");
      HttpConnectionManager.Tracing t1 = tracingOf(after.get("tracing"));
      assertThat(t1.getRandomSampling().getValue()).isEqualTo(42.5);
      assertThat(t1.getProvider().getName()).isEqualTo("envoy.tracers.zipkin");
      assertThat(unpack(t1.getProvider().getTypedConfig(), ZipkinConfig.class)
          .getCollectorCluster()).isEqualTo("tracing|zipkin");
      assertThat(t1.getCustomTagsList()).anyMatch(x -> x.getTag().equals("meshtrace.repair"));
    }
  }

  private static HttpConnectionManager.Tracing tracingOf(Listener l) {
    return unpack(l.getFilterChains(0).getFilters(0).getTypedConfig(),
        HttpConnectionManager.class).getTracing();
  }
}
