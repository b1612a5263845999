package io.meshtrace.xds.server;

import static io.meshtrace.xds.server.AdsTestClient.CDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests for types this server does not serve get one empty answer and never break the
 * stream; however a stream ends, it leaves the registry at once.
 */
class UnservedTypesTest {

  static final String RTDS = "type.googleapis.com/envoy.service.runtime.v3.Runtime";
  static final String ECDS = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";
  static final String TYPO = "type.googleapis.com/envoy.config.listener.v3.Listenr";
  static final List<String> UNSERVED = List.of(RTDS, ECDS, TYPO, Resources.V3.SECRET_TYPE_URL);

  @TempDir
  Path dir;

  private static AdsTestClient client(TestServer s, Node node, boolean delta) {
    return new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1", s.app.adsPort())
        .usePlaintext().build(), node, delta);
  }

  private static void ask(AdsTestClient c, String type) {
    List<String> names = type.equals(TYPO) ? List.of() : List.of("layer-or-name");
    if (c.delta()) {
      c.deltaRequest(type, names, "", null);
    } else {
      c.request(type, names, "", "", null);
    }
  }

  /** Waits for the one answer of an unserved type: empty, of that type. */
  private static void emptyAnswer(AdsTestClient c, String type) throws InterruptedException {
    if (c.delta()) {
      DeltaDiscoveryResponse r = c.nextDelta(type, 5000);
      assertThat(r.getResourcesCount()).isZero();
      assertThat(r.getRemovedResourcesCount()).isZero();
      assertThat(r.getNonce()).isNotEmpty();
      c.ackDelta(r);
    } else {
      DiscoveryResponse r = c.next(type, 5000);
      assertThat(r.getResourcesCount()).isZero();
      assertThat(r.getNonce()).isNotEmpty();
      c.ack(r, type.equals(TYPO) ? List.of() : List.of("layer-or-name"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sotw", "delta"})
  void unservedType_oneEmptyAnswer_streamKeepsServing(String mode) throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base());
        AdsTestClient c = client(s, AdsServerTest.sidecar("pp-1", "productpage"),
            mode.equals("delta"))) {
      for (String type : UNSERVED) {
        ask(c, type);
        emptyAnswer(c, type);
      }
      // ACKed: nothing more, and the served types work on the same stream.
      for (String type : UNSERVED) {
        assertThat(c.delta() ? c.pollDelta(type, 100) : c.poll(type, 100)).isNull();
      }
      if (c.delta()) {
        c.deltaRequest(CDS, List.of(), "", null);
        assertThat(c.nextDelta(CDS, 5000).getResourcesCount()).isPositive();
      } else {
        c.request(CDS, List.of(), "", "", null);
        assertThat(c.next(CDS, 5000).getResourcesCount()).isPositive();
      }
      assertThat(c.awaitError(0)).isNull();
      assertThat(s.app.plane().registry().proxies()).singleElement()
          .satisfies(p -> assertThat(p.get("unserved")).asString().contains(RTDS, ECDS, TYPO));
      assertThat(s.get("/metrics").body())
          .containsPattern("meshtrace_xds_unserved_requests_total (8|9|1\\d)\\b");
    }
  }

  @Test
  void unservedTypesInALoop_largeNode_registryEmptiesAndHeapStaysBounded() throws Exception {
    // A node just under the 64 KiB limit: a ghost stream would keep it.
    Node node = Node.newBuilder().setId("big-node").setCluster("productpage")
        .setMetadata(Struct.newBuilder().putFields("blob", Value.newBuilder()
            .setStringValue("x".repeat(60 * 1024)).build())).build();
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      round(s, node, 0);
      long before = usedHeapAfterGc();
      int rounds = 200;
      for (int i = 1; i <= rounds; i++) {
        round(s, node, i);
      }
      ProxyRegistry registry = s.app.plane().registry();
      long deadline = System.currentTimeMillis() + 3000;
      while (registry.size() > 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(10);
      }
      assertThat(registry.proxies()).isEmpty();
      assertThat(s.get("/metrics").body()).contains("meshtrace_xds_streams 0.0\n")
          .contains("meshtrace_xds_snapshot_groups 0.0\n")
          .contains("meshtrace_xds_streams_refused_total{reason=\"unserved_types\"} "
              + (rounds / 3 + 1) + ".0\n");
      long growth = usedHeapAfterGc() - before;
      // 200 streams of a 60 KiB node: 12 MB if each left anything holding its node behind.
      assertThat(growth).as("heap growth in bytes").isLessThan(6L << 20);
    }
  }

  /** One stream: three unserved types answered, then it ends one of three ways. */
  private static void round(TestServer s, Node node, int i) throws Exception {
    AdsTestClient c = client(s, node, i % 2 == 1);
    try {
      for (String type : List.of(RTDS, ECDS, TYPO)) {
        ask(c, type);
        emptyAnswer(c, type);
      }
      switch (i % 3) {
        case 0 -> {
          // More unserved types than a stream may ask for: refused.
          for (int k = 0; k < StreamGuard.MAX_UNSERVED_TYPES; k++) {
            ask(c, "type.googleapis.com/made.up.v" + k + ".Thing");
          }
          Throwable t = c.awaitError(5000);
          assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(Status.fromThrowable(t).getDescription()).contains("does not serve");
          c.close();
        }
        case 1 -> c.cancel();
        default -> c.close();
      }
    } finally {
      c.close();
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
