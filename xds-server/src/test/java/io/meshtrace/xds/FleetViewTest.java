package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.xds.XdsNameResolverProvider;
import io.meshtrace.xds.admin.Fleet;
import io.meshtrace.xds.admin.PeerSource;
import io.meshtrace.xds.snapshot.PackedTypes;
import io.meshtrace.xds.snapshot.VersionedSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas in one JVM, each with grpc-java's xDS client connected (an independent
 * implementation asking for every type): the fleet view on either names both, proxy-status
 * prints both in one table, proxy-config shows exactly what the client was sent; unknown nodes
 * and types, and peers that refuse or never answer.
 */
class FleetViewTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private static final String GROUP = "grpc/productpage";
  /** What grpc-java asks for: its route configuration is inline in the api_listener. */
  private static final List<String> TYPES = List.of("clusters", "endpoints", "listeners");

  @TempDir
  static Path dir;

  static Server backend;
  static Replica a;
  static Replica b;

  /** One replica: its app, its peers (settable after the other started) and its client. */
  static final class Replica {
    final List<URI> peers = new CopyOnWriteArrayList<>();
    final XdsApplication app;
    ManagedChannel channel;

    Replica(String name, Path file) throws Exception {
      PeerSource source = new PeerSource() {
        @Override
        public List<URI> peers() {
          return List.copyOf(peers);
        }

        @Override
        public String describe() {
          return "test peers";
        }
      };
      app = XdsApplication.start(new XdsApplication.Options(file, null, 0, 0,
          Duration.ofMillis(100), null, null, null, new Fleet(name, source), null));
    }

    String admin() {
      return "http://127.0.0.1:" + app.adminPort();
    }

    /** grpc-java's xDS client as node {@code nodeId}, resolved by its own scheme. */
    void connect(String nodeId) throws Exception {
      String scheme = "xds-" + nodeId;
      Map<String, Object> bootstrap = new HashMap<>();
      bootstrap.put("xds_servers", List.of(Map.of(
          "server_uri", "127.0.0.1:" + app.adsPort(),
          "channel_creds", List.of(Map.of("type", "insecure")),
          "server_features", List.of("xds_v3"))));
      bootstrap.put("node", Map.of("id", nodeId, "cluster", "productpage",
          "metadata", Map.of("ROLE", "grpc")));
      @SuppressWarnings("deprecation")
      ManagedChannel c = Grpc.newChannelBuilder(scheme + ":///reviews",
              InsecureChannelCredentials.create())
          .nameResolverFactory(XdsNameResolverProvider.createForTest(scheme, bootstrap))
          .build();
      channel = c;
      HealthCheckResponse r = HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(20, TimeUnit.SECONDS).withWaitForReady()
          .check(HealthCheckRequest.getDefaultInstance());
      assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    void close() throws InterruptedException {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      app.close();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    backend = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
        .forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
        .addService(health.getHealthService()).build().start();
    String yaml = TestServer.withServer(TestMesh.yaml(TestMesh.PROVIDERS, TestMesh.TRACING, """
        services:
          - name: productpage
            ports: [{name: http, number: 9080}]
            endpoints: [{address: 10.0.0.10}]
            dependencies: [reviews]
          - name: reviews
            ports: [{name: grpc, number: 9080, protocol: GRPC}]
            endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        """.formatted(backend.getPort())));
    Files.writeString(dir.resolve("token"), TestServer.TOKEN + "\n");
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, yaml);
    a = new Replica("xds-a", file);
    b = new Replica("xds-b", file);
    // The same list on both, each naming itself too: a replica leaves itself out.
    for (Replica r : List.of(a, b)) {
      r.peers.add(URI.create(a.admin()));
      r.peers.add(URI.create(b.admin()));
    }
    a.connect("grpc-a");
    b.connect("grpc-b");
    awaitSynced(a);
    awaitSynced(b);
  }

  @AfterAll
  static void stop() throws Exception {
    for (Replica r : new Replica[] {a, b}) {
      if (r != null) {
        r.close();
      }
    }
    if (backend != null) {
      backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @SuppressWarnings("unchecked")
  private static void awaitSynced(Replica r) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    List<Map<String, Object>> last = List.of();
    while (System.currentTimeMillis() < deadline) {
      last = r.app.plane().registry().proxies();
      if (last.size() == 1) {
        Map<String, Map<String, Object>> types =
            (Map<String, Map<String, Object>>) last.get(0).get("types");
        if (TYPES.stream().allMatch(t -> types.containsKey(t)
            && Boolean.TRUE.equals(types.get(t).get("synced")))) {
          return;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("client did not ACK every type: " + last);
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + TestServer.TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private record Run(int code, String out, String err) {}

  private static Run main(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void proxies_local_listsOwnStreamsAndNamesReplica() throws Exception {
    JsonNode view = JSON.readTree(get(b.admin() + "/proxies").body());
    assertThat(view.path("scope").asText()).isEqualTo("local");
    assertThat(view.path("replica").asText()).isEqualTo("xds-b");
    assertThat(view.path("proxies")).hasSize(1);
    assertThat(view.path("proxies").get(0).path("node").asText()).isEqualTo("grpc-b");
    assertThat(view.path("proxies").get(0).path("replica").asText()).isEqualTo("xds-b");
    assertThat(get(b.admin() + "/proxies?scope=galaxy").statusCode()).isEqualTo(400);
    assertThat(get(b.admin() + "/proxies?color=red").body()).contains("color").contains("scope");
  }

  @Test
  void proxies_fleet_mergesEveryReplica_onEither() throws Exception {
    for (Replica r : List.of(a, b)) {
      JsonNode view = JSON.readTree(get(r.admin() + "/proxies?scope=fleet").body());
      assertThat(view.path("scope").asText()).isEqualTo("fleet");
      List<String> rows = new ArrayList<>();
      view.path("proxies").forEach(p -> rows.add(p.path("node").asText() + "@"
          + p.path("replica").asText()));
      assertThat(rows).containsExactlyInAnyOrder("grpc-a@xds-a", "grpc-b@xds-b");
      List<String> replicas = new ArrayList<>();
      view.path("replicas").forEach(x -> replicas.add(x.path("replica").asText() + ":"
          + x.path("state").asText()));
      assertThat(replicas).containsExactlyInAnyOrder("xds-a:ok", "xds-b:ok");
    }
  }

  @Test
  void proxyStatus_printsBothReplicasInOneTable() {
    Run run = main("proxy-status", "--admin", a.admin(), "--token", TestServer.TOKEN);
    assertThat(run.code()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0).split("\\s{2,}")).containsExactly("NAME", "CLUSTER", "REPLICA",
        "CDS", "LDS", "EDS", "RDS");
    String[] rowA = lines.get(1).split("\\s{2,}");
    String[] rowB = lines.get(2).split("\\s{2,}");
    assertThat(rowA).startsWith("grpc-a", "productpage", "xds-a");
    assertThat(rowB).startsWith("grpc-b", "productpage", "xds-b");
    String listeners = a.app.plane().versions(GROUP).get("listeners");
    assertThat(rowA[4]).isEqualTo("SYNCED (" + listeners.substring(0,
        Math.min(listeners.length(), ProxyStatusCommand.VERSION_CHARS)) + ")");
    for (String[] row : List.of(rowA, rowB)) {
      for (int i = 3; i < 6; i++) {
        assertThat(row[i]).startsWith("SYNCED (");
      }
      // grpc-java takes its routes inline in the api_listener: no RDS.
      assertThat(row[6]).isEqualTo("NOT SENT");
    }
  }

  @Test
  void proxyConfig_json_isWhatTheClientWasSent_everyType() throws Exception {
    HttpResponse<String> r = get(b.admin() + "/proxies/grpc-b/config");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("\"@type\": \"type.googleapis.com/envoy.admin.v3."
        + "ClustersConfigDump\"").contains("dynamic_active_clusters");
    ConfigDump.Builder dump = ConfigDump.newBuilder();
    JsonFormat.parser().usingTypeRegistry(PackedTypes.registry()).merge(r.body(), dump);
    assertThat(dump.getConfigsList()).extracting(Any::getTypeUrl).containsExactly(
        "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
        "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
        "type.googleapis.com/envoy.admin.v3.ListenersConfigDump");

    VersionedSnapshot served = b.app.plane().served().values().iterator().next().snapshot();
    Map<String, String> versions = b.app.plane().versions(GROUP);
    Map<String, Message> sent = new HashMap<>();
    ClustersConfigDump clusters = dump.getConfigs(0).unpack(ClustersConfigDump.class);
    assertThat(clusters.getVersionInfo()).isEqualTo(versions.get("clusters"));
    for (var c : clusters.getDynamicActiveClustersList()) {
      Cluster k = c.getCluster().unpack(Cluster.class);
      sent.put(k.getName(), k);
    }
    assertThat(sent).isNotEmpty();
    assertThat(new HashMap<String, Message>(served.resources(ResourceType.CLUSTER)))
        .containsAllEntriesOf(sent);
    sent.clear();
    for (var e : dump.getConfigs(1).unpack(EndpointsConfigDump.class)
        .getDynamicEndpointConfigsList()) {
      ClusterLoadAssignment cla = e.getEndpointConfig().unpack(ClusterLoadAssignment.class);
      sent.put(cla.getClusterName(), cla);
    }
    assertThat(sent).isNotEmpty();
    assertThat(new HashMap<String, Message>(served.resources(ResourceType.ENDPOINT)))
        .containsAllEntriesOf(sent);
    sent.clear();
    for (var l : dump.getConfigs(2).unpack(ListenersConfigDump.class).getDynamicListenersList()) {
      Listener x = l.getActiveState().getListener().unpack(Listener.class);
      assertThat(l.getName()).isEqualTo(x.getName());
      assertThat(l.getActiveState().getVersionInfo()).isEqualTo(versions.get("listeners"));
      sent.put(x.getName(), x);
    }
    assertThat(sent).isNotEmpty();
    assertThat(new HashMap<String, Message>(served.resources(ResourceType.LISTENER)))
        .containsAllEntriesOf(sent);
    // Routes (RDS, sent to Envoy sidecars) are covered by ProxyConfigTest.
    assertThat(served.resources(ResourceType.ROUTE)).isEmpty();

    Run json = main("proxy-config", "--admin", b.admin(), "--token", TestServer.TOKEN,
        "grpc-b", "-o", "json");
    assertThat(json.code()).as(json.err()).isZero();
    assertThat(json.out()).isEqualTo(r.body());
  }

  @Test
  void proxyConfig_typeFilter_andTables() throws Exception {
    HttpResponse<String> r = get(a.admin() + "/proxies/grpc-a/config?type=listener,cluster");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("ClustersConfigDump").contains("ListenersConfigDump")
        .doesNotContain("EndpointsConfigDump");

    Run tables = main("proxy-config", "--admin", a.admin(), "--token", TestServer.TOKEN,
        "grpc-a");
    assertThat(tables.code()).as(tables.err()).isZero();
    VersionedSnapshot served = a.app.plane().served().values().iterator().next().snapshot();
    assertThat(tables.out()).contains("CLUSTER NAME").contains("ENDPOINT")
        .contains("LISTENER NAME").contains("API LISTENER")
        .contains("127.0.0.1:" + backend.getPort());
    assertThat(tables.out()).contains("outbound|9080||reviews");
    assertThat(tables.out().lines()).anyMatch(l -> l.matches("reviews\\s+API LISTENER\\s+-\\s+-"));
    assertThat(served.resources(ResourceType.LISTENER)).containsKey("reviews");
    Run one = main("proxy-config", "--admin", a.admin(), "--token", TestServer.TOKEN,
        "grpc-a", "--type", "endpoint");
    assertThat(one.out().lines().findFirst().orElse("")).startsWith("ENDPOINT");
    assertThat(one.out()).doesNotContain("CLUSTER NAME");
  }

  @Test
  void proxyConfig_unknownNodeOrType_answers404Or400() throws Exception {
    HttpResponse<String> node = get(a.admin() + "/proxies/grpc-b/config");
    assertThat(node.statusCode()).isEqualTo(404);
    assertThat(node.body()).contains("grpc-b").contains("xds-a");
    HttpResponse<String> type = get(a.admin() + "/proxies/grpc-a/config?type=secret");
    assertThat(type.statusCode()).isEqualTo(400);
    assertThat(type.body()).contains("type=secret")
        .contains("cluster, endpoint, listener, route");
    assertThat(get(a.admin() + "/proxies/grpc-a/other").statusCode()).isEqualTo(404);

    Run unknownNode = main("proxy-config", "--admin", a.admin(), "--token", TestServer.TOKEN,
        "nobody");
    assertThat(unknownNode.code()).isEqualTo(1);
    assertThat(unknownNode.err()).contains("nobody");
    Run unknownType = main("proxy-config", "--admin", a.admin(), "--token", TestServer.TOKEN,
        "grpc-a", "--type", "secret");
    assertThat(unknownType.code()).isEqualTo(2);
    assertThat(unknownType.err()).contains("--type").contains("secret");
  }

  @Test
  void fleet_unreachablePeers_listedWithReason_localAnswerWithinBound() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closed = s.getLocalPort();
    }
    // Accepts the connection, never answers.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      URI refused = URI.create("http://127.0.0.1:" + closed);
      URI mute = URI.create("http://127.0.0.1:" + silent.getLocalPort());
      a.peers.add(refused);
      a.peers.add(mute);
      try {
        long t0 = System.nanoTime();
        JsonNode view = JSON.readTree(get(a.admin() + "/proxies?scope=fleet").body());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isLessThan(Fleet.PEER_TIMEOUT.toMillis() + 1500);
        Map<String, JsonNode> byPeer = new HashMap<>();
        view.path("replicas").forEach(x -> byPeer.put(x.path("peer").asText(), x));
        assertThat(byPeer.get(refused.toString()).path("state").asText())
            .isEqualTo("unreachable");
        assertThat(byPeer.get(refused.toString()).path("error").asText()).contains("Connect");
        assertThat(byPeer.get(mute.toString()).path("state").asText()).isEqualTo("unreachable");
        assertThat(byPeer.get(mute.toString()).path("error").asText()).isNotBlank();
        assertThat(view.path("proxies")).hasSize(2);

        Run run = main("proxy-status", "--admin", a.admin(), "--token", TestServer.TOKEN);
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.out()).contains("grpc-a").contains("grpc-b");
        assertThat(run.err()).contains(refused.toString()).contains(mute.toString())
            .contains("unreachable");
      } finally {
        a.peers.remove(refused);
        a.peers.remove(mute);
      }
    }
  }

  @Test
  void proxyStatus_adminUnreachableOrBadUrl_exit1Or2() throws Exception {
    Run run = main("proxy-status", "--admin", "http://127.0.0.1:1");
    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("127.0.0.1:1");
    Run usage = main("proxy-status", "--admin", "ftp://x");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("--admin=ftp://x");
  }
}
