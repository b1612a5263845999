package io.meshtrace.xds.server;

import static io.meshtrace.xds.server.AdsTestClient.CDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a client sends cannot make the logs grow without bound: the log lines of a NACK flood,
 * of huge node ids and of many nodes are captured from slf4j-simple (which writes to
 * {@code System.err}) and measured.
 */
class BoundedLogTest {

  @TempDir
  Path dir;

  interface Work {
    void run() throws Exception;
  }

  /** Everything logged while {@code work} runs. */
  private static String captured(Work work) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      work.run();
    } finally {
      System.setErr(original);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static AdsTestClient client(TestServer s, Node node) {
    return new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1", s.app.adsPort())
        .usePlaintext().build(), node, false);
  }

  private static void awaitMetric(TestServer s, String line) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!s.get("/metrics").body().contains(line)) {
      assertThat(System.currentTimeMillis()).as("metric " + line).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void nackFlood_anyNonce_loggedOncePerNodeAndVersion_clipped() throws Exception {
    String nodeId = "sidecar~10.0.0.10~" + "p".repeat(480);
    String message = "cluster rejected\n12:00:00.000 [main] ERROR forged line\u001b[31m"
        + "x".repeat(20_000);
    int nacks = 1000;
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String log = captured(() -> {
        try (AdsTestClient c = client(s, Node.newBuilder().setId(nodeId)
            .setCluster("productpage").build())) {
          c.request(CDS, List.of(), "", "", null);
          DiscoveryResponse cds = c.next(CDS, 5000);
          for (int i = 0; i < nacks; i++) {
            // Every other NACK names a nonce this server never sent.
            String nonce = i % 2 == 0 ? cds.getNonce() : "made-up-" + i;
            c.request(CDS, List.of(), "", nonce, com.google.rpc.Status.newBuilder()
                .setCode(3).setMessage(message).build());
          }
          awaitMetric(s, "meshtrace_xds_nacks_total{type=\"clusters\"} " + nacks + ".0\n");
        }
      });
      List<String> lines = Arrays.asList(log.split("\n"));
      assertThat(lines).filteredOn(l -> l.contains("rejected clusters version"))
          .as("one line for the version sent, one for nonces never sent").hasSize(2)
          .allSatisfy(l -> assertThat(l).hasSizeLessThan(1200).contains("…[+")
              .doesNotContain("p".repeat(200)).contains("\\n12:00:00.000").contains("\\u001b"));
      assertThat(lines).noneMatch(l -> l.startsWith("12:00:00.000"));
      assertThat(log).doesNotContain("\u001b").hasSizeLessThan(8 * 1024);
      assertThat(s.get("/proxies").body()).doesNotContain("x".repeat(2000));
    }
  }

  @ParameterizedTest(name = "{0} nodes")
  @CsvSource("100")
  void manyNodesEachNackingOnce_linesRateLimited(int nodes) throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String log = captured(() -> {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1",
            s.app.adsPort()).usePlaintext().build();
        try {
          for (int i = 0; i < nodes; i++) {
            AdsTestClient c = new AdsTestClient(channel, Node.newBuilder().setId("node-" + i)
                .setCluster("productpage").build(), false);
            c.request(CDS, List.of(), "", "", null);
            c.nack(c.next(CDS, 5000), List.of(), "", "rejected by node " + i);
            c.endStream();
          }
          awaitMetric(s, "meshtrace_xds_nacks_total{type=\"clusters\"} " + nodes + ".0\n");
        } finally {
          channel.shutdownNow();
        }
      });
      List<String> lines = Arrays.asList(log.split("\n"));
      // A burst of 50 lines of each kind, then one a second.
      long rejected = lines.stream().filter(l -> l.contains("rejected clusters")).count();
      long connected = lines.stream().filter(l -> l.contains(" connected (")).count();
      assertThat(rejected).isBetween(50L, 70L);
      assertThat(connected).isBetween(50L, 70L);
      assertThat(lines).hasSizeLessThan(2 * nodes);
    }
  }

  static Stream<Arguments> controlCharacters() {
    return Stream.of(
        Arguments.of("plain text", "plain text"),
        Arguments.of("line\nbreak", "line\\nbreak"),
        Arguments.of("cr\rlf", "cr\\rlf"),
        Arguments.of("tab\there", "tab\\there"),
        Arguments.of("esc\u001b[31m", "esc\\u001b[31m"),
        Arguments.of("del\u007f", "del\\u007f"),
        Arguments.of("ünïcödé ✓", "ünïcödé ✓"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("controlCharacters")
  void clip_escapesControlCharacters(String in, String out) {
    assertThat(BoundedLog.clip(in, 100)).isEqualTo(out);
  }

  @Test
  void clip_longValue_cutWithTheRestCounted() {
    assertThat(BoundedLog.clip("a".repeat(5000), 10)).isEqualTo("aaaaaaaaaa…[+4,990 chars]");
    assertThat(BoundedLog.clip(null, 10)).isEmpty();
  }
}
