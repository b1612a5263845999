package io.meshtrace.xds.server;

import io.meshtrace.xds.config.AdsLimits;
import static io.meshtrace.xds.server.AdsTestClient.CDS;
import static io.meshtrace.xds.server.AdsTestClient.LDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeRole;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Snapshot groups live while a node uses them and are bounded; nodes over a size limit are
 * refused with a status naming the limit, and everyone else keeps being served.
 */
class StreamLimitsTest {

  private static final AdsLimits LIMITS = new AdsLimits(3, 100, 50, 8 * 1024);

  private Metrics metrics;
  private ControlPlane plane;
  private XdsServer ads;
  private final List<AdsTestClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    metrics = new Metrics();
    plane = new ControlPlane(new ProxyRegistry(metrics), metrics, LIMITS);
    assertThat(plane.apply(ConfigParser.parse(TestMesh.base(), null))).isEmpty();
    ads = XdsServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
        plane);
  }

  @AfterEach
  void stop() {
    clients.forEach(AdsTestClient::close);
    ads.close();
  }

  private AdsTestClient connect(Node node) {
    AdsTestClient c = new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1",
        ads.port()).usePlaintext().build(), node, false);
    clients.add(c);
    return c;
  }

  /** Connects a sidecar and waits for its listeners. */
  private AdsTestClient synced(String id, String cluster) throws InterruptedException {
    AdsTestClient c = connect(Node.newBuilder().setId(id).setCluster(cluster).build());
    c.request(LDS, List.of(), "", "", null);
    DiscoveryResponse lds = c.next(LDS, 5000);
    c.ack(lds, List.of());
    return c;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5000;
    while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  @Test
  void uniqueClusters_connectingAndLeaving_groupCountReturnsToBaseline() throws Exception {
    int baseline = plane.served().size();
    assertThat(baseline).isZero();
    for (int batch = 0; batch < 6; batch++) {
      List<AdsTestClient> open = new ArrayList<>();
      for (int i = 0; i < LIMITS.maxUnconfiguredGroups(); i++) {
        open.add(synced("n-" + batch + "-" + i, "made-up-" + batch + "-" + i));
      }
      assertThat(plane.served()).hasSize(baseline + LIMITS.maxUnconfiguredGroups());
      open.forEach(AdsTestClient::close);
      await(() -> plane.served().size() == baseline, "groups back to " + baseline);
    }
    assertThat(plane.registry().proxies()).isEmpty();
    assertThat(metrics.value("meshtrace_xds_streams_refused_total",
        Metrics.label("reason", "group_limit"))).isZero();

    // A config change rebuilds no group nobody uses; the made-up ones are gone entirely.
    assertThat(plane.apply(ConfigParser.parse(TestMesh.base().replace(
        "randomSamplingPercentage: 10", "randomSamplingPercentage: 30"), null))).isEmpty();
    assertThat(plane.served()).isEmpty();
    assertThat(plane.versions(new GroupKey(NodeRole.SIDECAR, "made-up-0-0"))).isEmpty();
    assertThat(plane.versions("sidecar/productpage")).isNotEmpty();
    assertThat(plane.versionsByGroup().keySet()).noneMatch(g -> g.contains("made-up"));
  }

  @Test
  void groupLimitReached_newGroupRefused_othersKeepWorking() throws Exception {
    List<AdsTestClient> open = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      open.add(synced("n-" + i, "made-up-" + i));
    }
    AdsTestClient refused = connect(Node.newBuilder().setId("n-3").setCluster("made-up-3")
        .build());
    refused.request(LDS, List.of(), "", "", null);
    Status status = Status.fromThrowable(refused.awaitError(5000));
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("maxUnconfiguredGroups", "3 groups",
        "sidecar/made-up-3");
    assertThat(metrics.value("meshtrace_xds_streams_refused_total",
        Metrics.label("reason", "group_limit"))).isEqualTo(1);
    assertThat(metrics.render()).contains(
        "meshtrace_xds_streams_refused_total{reason=\"group_limit\"} 1");

    // A second node of a group in use, and a node of a configured service, are served.
    synced("n-0b", "made-up-0");
    synced("pp-1", "productpage");
    assertThat(plane.served()).hasSize(4);
    assertThat(plane.registry().proxies()).hasSize(5);

    // The open streams still get new versions.
    assertThat(plane.apply(ConfigParser.parse(TestMesh.base().replace(
        "randomSamplingPercentage: 10", "randomSamplingPercentage: 30"), null))).isEmpty();
    for (int i = 0; i < open.size(); i++) {
      assertThat(open.get(i).next(LDS, 5000).getVersionInfo())
          .isEqualTo(plane.versions("sidecar/made-up-" + i).get("listeners"));
    }

    // Once a group is freed, a new one fits.
    open.get(2).close();
    await(() -> plane.served().size() == 3, "made-up-2 freed");
    synced("n-4", "made-up-4");
    assertThat(plane.served()).hasSize(4);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "node_id_length, maxNodeIdLength, 101, 0, 0",
      "node_cluster_length, maxNodeClusterLength, 0, 51, 0",
      "node_size, maxNodeBytes, 0, 0, 9000"})
  void nodeOverASizeLimit_refusedNamingTheLimit(String reason, String limit, int idChars,
      int clusterChars, int metadataBytes) throws Exception {
    Node node = Node.newBuilder()
        .setId(idChars == 0 ? "n-1" : "i".repeat(idChars))
        .setCluster(clusterChars == 0 ? "productpage" : "c".repeat(clusterChars))
        .setMetadata(Struct.newBuilder().putFields("blob", Value.newBuilder()
            .setStringValue("m".repeat(metadataBytes)).build()))
        .build();
    AdsTestClient c = connect(node);
    c.request(CDS, List.of(), "", "", null);
    Status status = Status.fromThrowable(c.awaitError(5000));
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains(limit);
    assertThat(c.poll(CDS, 0)).isNull();
    assertThat(metrics.value("meshtrace_xds_streams_refused_total",
        Metrics.label("reason", reason))).isEqualTo(1);
    await(() -> plane.registry().proxies().isEmpty(), "refused stream gone");
    assertThat(plane.served()).isEmpty();

    synced("pp-1", "productpage");
  }
}
