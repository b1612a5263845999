package io.meshtrace.xds.server;

import static io.meshtrace.xds.server.AdsTestClient.CDS;
import static io.meshtrace.xds.server.AdsTestClient.EDS;
import static io.meshtrace.xds.server.AdsTestClient.LDS;
import static io.meshtrace.xds.server.AdsTestClient.RDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.grpc.ManagedChannelBuilder;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.snapshot.PackedTypes;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code GET /proxies/{node}/config} against a sidecar that fetched every type (CDS, EDS, LDS,
 * RDS) over SotW and delta, with every tracing provider: the config dump holds exactly the
 * resources the client received, each at the version it was sent, and prints through
 * {@link PackedTypes} (so every type packed into a resource is registered).
 */
class ProxyConfigTest {

  private static final String NODE = "sidecar~10.0.0.10~pp-1";

  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("io.meshtrace.xds.server.AdsServerTest#providers")
  void configDump_isWhatTheSidecarReceived_everyType(String kind, String mode, String providers)
      throws Exception {
    try (TestServer s = TestServer.start(dir,
            TestMesh.yaml(providers, AdsServerTest.TRACING, TestMesh.SERVICES));
        AdsTestClient c = new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1",
            s.app.adsPort()).usePlaintext().build(),
            AdsServerTest.sidecar(NODE, "productpage"), mode.equals("delta"))) {
      Map<String, List<Any>> received = c.delta() ? AdsServerTest.syncDelta(c)
          : AdsServerTest.syncSotw(c);

      HttpResponse<String> r = s.get("/proxies/" + NODE + "/config");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      // The dump is what the node got, with the collector's credentials shown redacted.
      assertThat(r.body()).doesNotContain(SECRET);
      ConfigDump.Builder dump = ConfigDump.newBuilder();
      JsonFormat.parser().usingTypeRegistry(PackedTypes.registry()).merge(r.body(), dump);
      assertThat(dump.getConfigsCount()).isEqualTo(4);
      Map<String, String> versions = s.app.plane().versions("sidecar/productpage");

      ClustersConfigDump cds = dump.getConfigs(0).unpack(ClustersConfigDump.class);
      List<Any> clusters = new ArrayList<>();
      cds.getDynamicActiveClustersList().forEach(x -> {
        assertThat(x.getVersionInfo()).isEqualTo(versions.get("clusters"));
        assertThat(x.hasLastUpdated()).isTrue();
        clusters.add(x.getCluster());
      });
      assertThat(printed(clusters))
          .containsExactlyInAnyOrderElementsOf(scrubbed(received.get(CDS)));

      List<Any> endpoints = new ArrayList<>();
      dump.getConfigs(1).unpack(EndpointsConfigDump.class).getDynamicEndpointConfigsList()
          .forEach(x -> endpoints.add(x.getEndpointConfig()));
      assertThat(printed(endpoints))
          .containsExactlyInAnyOrderElementsOf(scrubbed(received.get(EDS)));

      List<Any> listeners = new ArrayList<>();
      ListenersConfigDump lds = dump.getConfigs(2).unpack(ListenersConfigDump.class);
      assertThat(lds.getVersionInfo()).isEqualTo(versions.get("listeners"));
      lds.getDynamicListenersList().forEach(x -> listeners.add(x.getActiveState().getListener()));
      assertThat(printed(listeners))
          .containsExactlyInAnyOrderElementsOf(scrubbed(received.get(LDS)));
      assertThat(lds.getDynamicListenersList()).extracting(x -> x.getName())
          .containsExactlyInAnyOrder("virtualInbound", "virtualOutbound");

      List<Any> routes = new ArrayList<>();
      dump.getConfigs(3).unpack(RoutesConfigDump.class).getDynamicRouteConfigsList()
          .forEach(x -> routes.add(x.getRouteConfig()));
      assertThat(printed(routes))
          .containsExactlyInAnyOrderElementsOf(scrubbed(received.get(RDS)));

      HttpResponse<String> one = s.get("/proxies/" + NODE + "/config?type=routes");
      assertThat(one.body()).contains("RoutesConfigDump").doesNotContain("ClustersConfigDump");
    }
  }

  /** The sensitive literal the providers' OTLP/HTTP collector header carries. */
  private static final String SECRET = "Bearer abc";

  private static List<String> printed(List<Any> messages) throws Exception {
    List<String> out = new ArrayList<>();
    for (Any a : messages) {
      out.add(JsonFormat.printer().usingTypeRegistry(PackedTypes.registry()).print(a));
    }
    return out;
  }

  private static List<String> scrubbed(List<Any> messages) throws Exception {
    List<String> out = new ArrayList<>();
    for (String p : printed(messages)) {
      // JsonFormat writes < and > as \\u escapes.
      out.add(p.replace(SECRET, "\\u003credacted\\u003e"));
    }
    return out;
  }
}
