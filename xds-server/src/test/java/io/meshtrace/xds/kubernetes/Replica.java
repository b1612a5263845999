package io.meshtrace.xds.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.xds.XdsNameResolverProvider;
import io.meshtrace.admin.AdminTokenOptions;
import io.meshtrace.xds.XdsApplication;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One xds-server replica on {@code --source kubernetes} (in this JVM, ports 0) with its own
 * grpc-java xDS client connected: a proxyless node of group {@code grpc/productpage} resolving
 * {@code xds:///reviews} through this replica only.
 */
final class Replica implements AutoCloseable {
  static final String TOKEN = "replica-token";
  static final String GROUP = "grpc/productpage";
  private static final AtomicInteger SCHEMES = new AtomicInteger();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  final String name;
  final XdsApplication app;
  final KubernetesConfigSource source;
  private final XdsNameResolverProvider resolver;
  private final ManagedChannel channel;

  private Replica(String name, XdsApplication app, XdsNameResolverProvider resolver,
      ManagedChannel channel) {
    this.name = name;
    this.app = app;
    this.source = (KubernetesConfigSource) app.source();
    this.resolver = resolver;
    this.channel = channel;
  }

  /** Starts a replica against {@code api} with a short Lease (1 s, renew 0.6 s, retry 0.2 s). */
  static Replica start(String name, MockApiServer api, MeshTracingRef ref, Path tokenFile)
      throws Exception {
    MeshTracingStatusWriter.LeaseSettings lease = MeshTracingStatusWriter.LeaseSettings
        .defaults(ref).withIdentity(name)
        .withTiming(Duration.ofSeconds(1), Duration.ofMillis(600), Duration.ofMillis(200));
    XdsApplication app = XdsApplication.start(new XdsApplication.Options(null, "127.0.0.1", 0, 0,
        Duration.ofSeconds(1), null,
        new KubernetesConfigSource.Settings(ref, api.client(), lease, Duration.ofSeconds(60)),
        AdminTokenOptions.files(tokenFile, null), null, null));
    String scheme = "xds-" + name.toLowerCase() + "-" + SCHEMES.incrementAndGet();
    XdsNameResolverProvider resolver = XdsNameResolverProvider.createForTest(scheme, Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + app.adsPort(),
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3"))),
        "node", Map.of("id", "grpc-" + name, "cluster", "productpage",
            "metadata", Map.of("ROLE", "grpc"))));
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    ManagedChannel channel = Grpc.newChannelBuilder(scheme + ":///reviews",
        InsecureChannelCredentials.create()).build();
    channel.getState(true); // resolve now: the xDS client subscribes
    return new Replica(name, app, resolver, channel);
  }

  /** The version of {@code type} this replica serves the group. */
  String served(String type) {
    return app.plane().versions(GROUP).get(type);
  }

  /** The version of {@code type} this replica's client ACKed, or null. */
  @SuppressWarnings("unchecked")
  String acked(String type) {
    for (Map<String, Object> p : app.plane().registry().proxies()) {
      Map<String, Map<String, Object>> types = (Map<String, Map<String, Object>>) p.get("types");
      if (GROUP.equals(p.get("group")) && types.containsKey(type)) {
        return (String) types.get(type).get("acked");
      }
    }
    return null;
  }

  HttpResponse<String> put(String json) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.adminPort()
        + "/config/tracing")).PUT(HttpRequest.BodyPublishers.ofString(json))
        .header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.adminPort()
        + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  ConnectivityState state() {
    return channel.getState(false);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
      app.close();
    }
  }
}
