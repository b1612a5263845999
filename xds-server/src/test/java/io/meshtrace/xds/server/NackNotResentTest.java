package io.meshtrace.xds.server;

import static io.meshtrace.xds.server.AdsTestClient.CDS;
import static io.meshtrace.xds.server.AdsTestClient.EDS;
import static io.meshtrace.xds.server.AdsTestClient.LDS;
import static io.meshtrace.xds.server.AdsTestClient.RDS;
import static io.meshtrace.xds.server.AdsTestClient.unpack;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client that rejects the first answer of every type gets nothing more of that type until
 * the config changes, over SotW and delta; then the new version arrives. java-control-plane
 * alone answers such a NACK at once with the same version: CDS and LDS by version, EDS and RDS
 * because the names they ask for were never acknowledged.
 */
class NackNotResentTest {

  private static final List<String> TYPES = List.of(CDS, EDS, LDS, RDS);
  private static final Map<String, String> NAMES = Map.of(CDS, "clusters", EDS, "endpoints",
      LDS, "listeners", RDS, "routes");

  @TempDir
  Path dir;

  /** Changes every type a productpage sidecar gets: sampling, an endpoint, a protocol, a host. */
  private static String changed() {
    return TestServer.withServer(TestMesh.base()
        .replace("randomSamplingPercentage: 10", "randomSamplingPercentage: 20")
        .replace("10.0.0.30", "10.0.0.31")
        .replace("protocol: GRPC", "protocol: HTTP")
        .replace("  - name: reviews\n", "  - name: reviews\n    hosts: [reviews.books.svc]\n"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sotw", "delta"})
  void nackOfFirstAnswer_everyType_notResentUntilConfigChanges(String mode) throws Exception {
    boolean delta = mode.equals("delta");
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1",
            s.app.adsPort()).usePlaintext().build(),
            Node.newBuilder().setId("pp-1").setCluster("productpage").build(), delta)) {
      Map<String, String> rejected = delta ? nackAllDelta(c) : nackAllSotw(c);

      Thread.sleep(2000);
      List<String> resent = new ArrayList<>();
      for (String type : TYPES) {
        if ((delta ? c.pollDelta(type, 0) : c.poll(type, 0)) != null) {
          resent.add(NAMES.get(type));
        }
      }
      assertThat(resent).as("types answered again within 2 s of their NACK").isEmpty();
      String metrics = s.get("/metrics").body();
      for (String type : TYPES) {
        assertThat(metrics).contains("meshtrace_xds_nacks_total{type=\"" + NAMES.get(type)
            + "\"} 1");
      }
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> shown = (Map<String, Map<String, Object>>)
          s.app.plane().registry().proxies().get(0).get("types");
      for (String type : TYPES) {
        assertThat(shown.get(NAMES.get(type))).containsEntry("nacks", 1L)
            .containsEntry("sent", rejected.get(type)).containsEntry("synced", false);
      }

      Map<String, String> before = s.app.plane().versions("sidecar/productpage");
      Files.writeString(s.file, changed());
      for (String type : TYPES) {
        String version = delta ? c.nextDelta(type, 5000).getSystemVersionInfo()
            : c.next(type, 5000).getVersionInfo();
        assertThat(version).as(NAMES.get(type)).isNotEqualTo(rejected.get(type))
            .isEqualTo(s.app.plane().versions("sidecar/productpage").get(NAMES.get(type)))
            .isNotEqualTo(before.get(NAMES.get(type)));
      }
    }
  }

  /** Asks for every type as Envoy does and NACKs each first answer; returns their versions. */
  private static Map<String, String> nackAllSotw(AdsTestClient c) throws InterruptedException {
    Map<String, String> versions = new HashMap<>();
    c.request(CDS, List.of(), "", "", null);
    c.request(LDS, List.of(), "", "", null);
    DiscoveryResponse cds = c.next(CDS, 5000);
    c.nack(cds, List.of(), "", "clusters rejected for the test");
    List<String> eds = edsNames(cds.getResourcesList());
    c.request(EDS, eds, "", "", null);
    DiscoveryResponse lds = c.next(LDS, 5000);
    c.nack(lds, List.of(), "", "listeners rejected for the test");
    c.request(RDS, List.of("outbound"), "", "", null);
    DiscoveryResponse e = c.next(EDS, 5000);
    c.nack(e, eds, "", "endpoints rejected for the test");
    DiscoveryResponse r = c.next(RDS, 5000);
    c.nack(r, List.of("outbound"), "", "routes rejected for the test");
    for (DiscoveryResponse x : List.of(cds, lds, e, r)) {
      assertThat(x.getResourcesCount()).as(x.getTypeUrl()).isPositive();
      versions.put(x.getTypeUrl(), x.getVersionInfo());
    }
    return versions;
  }

  private static Map<String, String> nackAllDelta(AdsTestClient c) throws InterruptedException {
    Map<String, String> versions = new HashMap<>();
    c.deltaRequest(CDS, List.of(), "", null);
    c.deltaRequest(LDS, List.of(), "", null);
    DeltaDiscoveryResponse cds = c.nextDelta(CDS, 5000);
    c.nackDelta(cds, "clusters rejected for the test");
    List<Any> clusters = new ArrayList<>();
    cds.getResourcesList().forEach(x -> clusters.add(x.getResource()));
    List<String> eds = edsNames(clusters);
    c.deltaRequest(EDS, eds, "", null);
    DeltaDiscoveryResponse lds = c.nextDelta(LDS, 5000);
    c.nackDelta(lds, "listeners rejected for the test");
    c.deltaRequest(RDS, List.of("outbound"), "", null);
    DeltaDiscoveryResponse e = c.nextDelta(EDS, 5000);
    c.nackDelta(e, "endpoints rejected for the test");
    DeltaDiscoveryResponse r = c.nextDelta(RDS, 5000);
    c.nackDelta(r, "routes rejected for the test");
    for (DeltaDiscoveryResponse x : List.of(cds, lds, e, r)) {
      assertThat(x.getResourcesList()).as(x.getTypeUrl()).extracting(Resource::getName)
          .isNotEmpty();
      versions.put(x.getTypeUrl(), x.getSystemVersionInfo());
    }
    return versions;
  }

  private static List<String> edsNames(List<Any> clusters) {
    List<String> out = new ArrayList<>();
    for (Any a : clusters) {
      Cluster cl = unpack(a, Cluster.class);
      if (cl.getType() == Cluster.DiscoveryType.EDS) {
        out.add(cl.getName());
      }
    }
    assertThat(out).isNotEmpty();
    return out;
  }
}
