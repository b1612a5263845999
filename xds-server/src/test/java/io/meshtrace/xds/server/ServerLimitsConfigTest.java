package io.meshtrace.xds.server;

import io.meshtrace.xds.config.AdsLimits;
import static io.meshtrace.xds.server.AdsTestClient.LDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.config.ConfigParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code server.limits} in the file: parsed with its defaults, refused naming the key, applied. */
class ServerLimitsConfigTest {

  @TempDir
  Path dir;

  private static String withLimits(String limits) {
    return TestMesh.base() + "server:\n  limits: " + limits + "\n";
  }

  @Test
  void parse_withoutLimits_defaults_someKeys_restKeepDefaults() throws Exception {
    assertThat(ConfigParser.parse(TestMesh.base(), null).server().limits())
        .isEqualTo(AdsLimits.DEFAULTS);
    assertThat(ConfigParser.parse(withLimits("{maxNodeIdLength: 40, maxUnconfiguredGroups: 2}"),
        null).server().limits()).isEqualTo(new AdsLimits(2, 40,
            AdsLimits.DEFAULTS.maxNodeClusterLength(), AdsLimits.DEFAULTS.maxNodeBytes()));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{maxNodeIdLength: 0}          | server.limits.maxNodeIdLength=0: must be between 1 and 2147483647",
      "{maxNodeBytes: -5}            | server.limits.maxNodeBytes=-5: must be between 1 and 2147483647",
      "{maxUnconfiguredGroups: 1.5}  | server.limits.maxUnconfiguredGroups=1.5: must be an integer between 1 and 2147483647",
      "{maxNodeClusterLength: lots}  | server.limits.maxNodeClusterLength=lots: must be an integer between 1 and 2147483647",
      "{maxNodes: 3}                 | server.limits.maxNodes",
      "64                            | server.limits"})
  void parse_badLimit_refusedNamingTheKey(String limits, String problem) {
    assertThat(TestMesh.problems(withLimits(limits))).anySatisfy(p -> assertThat(p)
        .contains(problem));
  }

  @Test
  void serve_fileWithLimits_streamOverTheLimitRefusedNamingIt_othersServed() throws Exception {
    // Written first: TestServer adds its own server section only to a file it writes.
    Files.writeString(dir.resolve("mesh.yaml"), TestServer.withServer(TestMesh.base())
        + "  limits: {maxNodeIdLength: 20}\n");
    try (TestServer server = TestServer.start(dir, TestMesh.base())) {
      ControlPlane plane = server.app.plane();
      assertThat(plane.limits().maxNodeIdLength()).isEqualTo(20);

      try (AdsTestClient refused = client(server, "n".repeat(21));
          AdsTestClient served = client(server, "productpage-1")) {
        refused.request(LDS, List.of(), "", "", null);
        Status status = Status.fromThrowable(refused.awaitError(5000));
        assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status.getDescription()).contains("21 characters", "limit of 20",
            "maxNodeIdLength");

        served.request(LDS, List.of(), "", "", null);
        assertThat(served.next(LDS, 5000).getVersionInfo())
            .isEqualTo(plane.versions("sidecar/productpage").get("listeners"));
      }
    }
  }

  private static AdsTestClient client(TestServer server, String id) {
    return new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1",
        server.app.adsPort()).usePlaintext().build(),
        Node.newBuilder().setId(id).setCluster("productpage").build(), false);
  }
}
