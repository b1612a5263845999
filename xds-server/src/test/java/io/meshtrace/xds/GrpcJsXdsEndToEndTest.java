package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-js-xds (Node.js, written apart from grpc-java and stricter in places) as a proxyless
 * gRPC node against the control plane: it reads the api_listeners, an EDS cluster whose
 * endpoints are IP addresses and a LOGICAL_DNS cluster whose endpoint is a host name, makes a
 * real call through each to its own backend, and ACKs every type it was sent.
 *
 * <p>The node is {@code src/test/grpc-js/client.js}, installed by the build ({@code npm ci}
 * from the committed lock file) into the directory named by the system property
 * {@value #DIR_PROPERTY}. Without Node.js or the installed packages the test fails.
 */
class GrpcJsXdsEndToEndTest {

  static final String DIR_PROPERTY = "meshtrace.grpcJs.dir";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long CALL_DEADLINE_MS = 20_000;
  private static final String NODE_ID = "grpc-js-1";
  private static final String GROUP = "grpc/productpage";

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void grpcJsXds_edsAndDnsClusters_callsReachBackends_everyTypeAcked() throws Exception {
    Path peer = peerDirectory();
    // Each backend serves the health status of one service only: a call routed to the wrong
    // cluster answers NOT_FOUND instead of SERVING.
    HealthStatusManager reviewsHealth = new HealthStatusManager();
    reviewsHealth.setStatus("reviews", ServingStatus.SERVING);
    HealthStatusManager ratingsHealth = new HealthStatusManager();
    ratingsHealth.setStatus("ratings", ServingStatus.SERVING);
    Server reviews = backend(reviewsHealth);
    Server ratings = backend(ratingsHealth);
    // Header repair on: the proxyless listeners then start with the optional ext_proc filter,
    // which grpc-js does not implement and must skip rather than reject.
    String yaml = TestMesh.yaml(TestMesh.PROVIDERS, TestMesh.TRACING, """
        services:
          - name: productpage
            ports: [{name: http, number: 9080}]
            endpoints: [{address: 10.0.0.10}]
            dependencies: [reviews, ratings]
          - name: reviews
            ports: [{name: grpc, number: 9080, protocol: GRPC}]
            endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
          - name: ratings
            ports: [{name: grpc, number: 9080, protocol: GRPC}]
            endpoints: [{address: localhost, ports: {grpc: %d}}]
        gateway:
          headerRepair:
            enabled: true
            extProc: {host: 127.0.0.1, port: 18080}
        """.formatted(reviews.getPort(), ratings.getPort()));
    Process node = null;
    try (TestServer s = TestServer.start(dir, yaml)) {
      ProcessBuilder pb = new ProcessBuilder("node", peer.resolve("client.js").toString(),
          Long.toString(CALL_DEADLINE_MS), "xds:///reviews=reviews", "xds:///ratings:9080=ratings")
          .directory(peer.toFile())
          .redirectErrorStream(false)
          .redirectError(dir.resolve("node.stderr").toFile());
      pb.environment().put("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap(s.app.adsPort()));
      try {
        node = pb.start();
      } catch (IOException e) {
        throw new AssertionError("cannot start node (Node.js 18 or newer must be on the PATH"
            + " for the grpc-js-xds peer): " + e.getMessage(), e);
      }
      List<String> lines = awaitDone(s, node);
      assertThat(lines).as(stderr()).containsExactlyInAnyOrder(
          "{\"target\":\"xds:///reviews\",\"service\":\"reviews\",\"status\":\"SERVING\"}",
          "{\"target\":\"xds:///ratings:9080\",\"service\":\"ratings\",\"status\":\"SERVING\"}");

      // The admin API: the node ACKed every type at the version served, and NACKed nothing.
      // Routes are inline in the api_listeners, so the node never subscribes to RDS.
      JsonNode proxy = awaitSynced(s);
      assertThat(proxy.has("lastNack")).as(proxy.toString()).isFalse();
      assertThat(proxy.get("role").asText()).isEqualTo("grpc");
      assertThat(proxy.get("group").asText()).isEqualTo(GROUP);
      JsonNode types = proxy.get("types");
      List<String> names = new ArrayList<>();
      types.fieldNames().forEachRemaining(names::add);
      assertThat(names).containsExactlyInAnyOrder("clusters", "endpoints", "listeners");
      Map<String, String> served = s.app.plane().versions(GROUP);
      for (String type : names) {
        JsonNode t = types.get(type);
        assertThat(t.get("acked").asText()).as(type).isEqualTo(served.get(type));
        assertThat(t.get("nacks").asInt()).as(type).isZero();
      }
      node.getOutputStream().close();
      assertThat(node.waitFor(10, TimeUnit.SECONDS)).as("node exits").isTrue();
      assertThat(node.exitValue()).as(stderr()).isZero();
    } finally {
      if (node != null) {
        node.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      reviews.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      ratings.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The installed peer; fails (never skips) when the build did not install it. */
  private static Path peerDirectory() {
    String d = System.getProperty(DIR_PROPERTY, "target/grpc-js");
    Path peer = Path.of(d).toAbsolutePath();
    assertThat(peer.resolve("node_modules/@grpc/grpc-js-xds/package.json"))
        .as("grpc-js-xds installed in %s (the build runs npm ci there before the tests:"
            + " mvn -pl xds-server verify)", peer)
        .exists();
    return peer;
  }

  private static Server backend(HealthStatusManager health) throws IOException {
    return NettyServerBuilder
        .forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
        .addService(health.getHealthService()).build().start();
  }

  /** grpc-js's bootstrap: it requires {@code node.locality}, even an empty one. */
  private static String bootstrap(int adsPort) {
    return """
        {
          "xds_servers": [{
            "server_uri": "127.0.0.1:%d",
            "channel_creds": [{"type": "insecure"}],
            "server_features": ["xds_v3"]
          }],
          "node": {
            "id": "%s",
            "cluster": "productpage",
            "locality": {},
            "metadata": {"role": "grpc"}
          }
        }
        """.formatted(adsPort, NODE_ID);
  }

  /**
   * The node's result lines, up to its {@code done}. Fails at once when the node NACKs
   * something (with the NACK's message) or exits early, instead of waiting out the deadline.
   */
  private List<String> awaitDone(TestServer s, Process node) throws Exception {
    BlockingQueue<String> out = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          out.add(line);
        }
      } catch (IOException e) {
        // The process was destroyed; the wait below reports what was read.
      }
    }, "grpc-js-stdout");
    reader.setDaemon(true);
    reader.start();
    List<String> lines = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CALL_DEADLINE_MS + 10_000);
    while (System.nanoTime() < deadline) {
      String line = out.poll(100, TimeUnit.MILLISECONDS);
      if ("done".equals(line)) {
        return lines;
      }
      if (line != null) {
        lines.add(line);
        continue;
      }
      for (Map<String, Object> p : s.app.plane().registry().proxies()) {
        if (NODE_ID.equals(p.get("node")) && p.get("lastNack") != null) {
          throw new AssertionError("grpc-js-xds rejected a resource: " + p.get("lastNack"));
        }
      }
      if (!node.isAlive() && out.isEmpty()) {
        throw new AssertionError("node exited with " + node.exitValue() + " after " + lines
            + "; " + stderr());
      }
    }
    throw new AssertionError("no result from grpc-js-xds in time: " + lines + "; " + stderr());
  }

  /** {@code GET /proxies} until the node's entry shows every type sent as ACKed. */
  private static JsonNode awaitSynced(TestServer s) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      var r = s.get("/proxies");
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode body = JSON.readTree(r.body()).path("proxies");
      assertThat(body.isArray()).as(r.body()).isTrue();
      for (JsonNode p : body) {
        if (NODE_ID.equals(p.path("node").asText())) {
          last = p;
          boolean synced = p.path("types").size() > 0;
          for (JsonNode t : p.path("types")) {
            synced &= t.path("synced").asBoolean();
          }
          if (synced) {
            return p;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("grpc-js node not synced in /proxies: " + last);
  }

  private String stderr() {
    try {
      String err = Files.readString(dir.resolve("node.stderr"));
      return "node stderr: " + (err.length() > 4000 ? err.substring(err.length() - 4000) : err);
    } catch (IOException e) {
      return "node stderr unreadable: " + e.getMessage();
    }
  }
}
