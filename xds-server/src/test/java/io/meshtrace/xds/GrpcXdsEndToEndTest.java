package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client (an independent implementation) against the control plane: it
 * reads the api_listener, route and EDS cluster, makes a real call to a backend, and ACKs the
 * new version after a sampling change through the admin API.
 */
class GrpcXdsEndToEndTest {

  private static final String BOOTSTRAP_PROPERTY = "io.grpc.xds.bootstrapConfig";

  @TempDir
  Path dir;

  @AfterEach
  void clearBootstrap() {
    System.clearProperty(BOOTSTRAP_PROPERTY);
  }

  @Test
  void grpcXdsClient_callsBackendThroughConfig_andAcksSamplingChange() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    Server backend;
    backend = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
        .forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
        .addService(health.getHealthService()).build().start();
    String yaml = TestMesh.yaml(TestMesh.PROVIDERS, TestMesh.TRACING, """
        services:
          - name: productpage
            ports: [{name: http, number: 9080}]
            endpoints: [{address: 10.0.0.10}]
            dependencies: [reviews]
          - name: reviews
            ports: [{name: grpc, number: 9080, protocol: GRPC}]
            endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        """.formatted(backend.getPort()));
    ManagedChannel channel = null;
    try (TestServer s = TestServer.start(dir, yaml)) {
      System.setProperty(BOOTSTRAP_PROPERTY, """
          {
            "xds_servers": [{
              "server_uri": "127.0.0.1:%d",
              "channel_creds": [{"type": "insecure"}],
              "server_features": ["xds_v3"]
            }],
            "node": {
              "id": "grpc-client-1",
              "cluster": "productpage",
              "metadata": {"ROLE": "grpc"}
            }
          }
          """.formatted(s.app.adsPort()));
      channel = Grpc.newChannelBuilder("xds:///reviews", InsecureChannelCredentials.create())
          .build();
      HealthCheckResponse r = HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(20, TimeUnit.SECONDS)
          .withWaitForReady()
          .check(HealthCheckRequest.getDefaultInstance());
      assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

      String before = s.app.plane().versions("grpc/productpage").get("listeners");
      awaitAcked(s, "grpc/productpage", "listeners", before);

      var put = s.put("/config/tracing",
          "{\"tracing\":[{\"randomSamplingPercentage\":42.5}]}", TestServer.TOKEN);
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      String after = s.app.plane().versions("grpc/productpage").get("listeners");
      assertThat(after).isNotEqualTo(before);
      Map<String, Object> proxy = awaitAcked(s, "grpc/productpage", "listeners", after);
      assertThat(proxy.get("node")).isEqualTo("grpc-client-1");
      assertThat(proxy).doesNotContainKey("lastNack");
      assertThat(s.get("/proxies").body()).contains("grpc-client-1").contains(after);

      // Still routes after the change.
      assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> awaitAcked(TestServer s, String group, String type,
      String version) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    List<Map<String, Object>> last = null;
    while (System.currentTimeMillis() < deadline) {
      last = s.app.plane().registry().proxies();
      for (Map<String, Object> p : last) {
        Map<String, Map<String, Object>> types = (Map<String, Map<String, Object>>) p.get(
            "types");
        if (group.equals(p.get("group")) && types.containsKey(type)
            && version.equals(types.get(type).get("acked"))) {
          return p;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError(group + " did not ack " + type + " " + version + ": " + last);
  }
}
