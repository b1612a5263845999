package io.meshtrace.xds.server;

import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.serializer.CachedProtoResourcesSerializer;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.meshtrace.xds.config.MeshConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;

/**
 * The ADS gRPC server: SotW ({@code StreamAggregatedResources}) and delta
 * ({@code DeltaAggregatedResources}) on one port, plus the per-type discovery services, served
 * from a {@link ControlPlane}. Optionally TLS, with client certificates checked against a CA.
 * Every stream passes the {@link StreamGuard} first (limits, types not served, clean ends).
 */
public final class XdsServer implements AutoCloseable {

  private final Server server;

  private XdsServer(Server server) {
    this.server = server;
  }

  /**
   * Starts serving on a builder (tests pass an in-process one).
   *
   * @throws IOException when the port cannot be bound
   */
  public static XdsServer start(ServerBuilder<?> builder, ControlPlane plane) throws IOException {
    // The cached serializer packs each resource into its Any once and shares it between every
    // stream it goes to: a push to 10,000 nodes serializes each group's resources once, not once
    // per node, and the responses each stream keeps (proxy-config) hold no copies.
    V3DiscoveryServer discovery = new V3DiscoveryServer(List.of(plane.registry()), plane.watcher(),
        new DefaultExecutorGroup(), new CachedProtoResourcesSerializer());
    StreamGuard guard = new StreamGuard(plane.limits(), plane.leases(), plane.metrics());
    Server server = builder
        .addService(ServerInterceptors.intercept(discovery.getAggregatedDiscoveryServiceImpl(),
            guard))
        .addService(ServerInterceptors.intercept(discovery.getClusterDiscoveryServiceImpl(),
            guard))
        .addService(ServerInterceptors.intercept(discovery.getEndpointDiscoveryServiceImpl(),
            guard))
        .addService(ServerInterceptors.intercept(discovery.getListenerDiscoveryServiceImpl(),
            guard))
        .addService(ServerInterceptors.intercept(discovery.getRouteDiscoveryServiceImpl(),
            guard))
        .build()
        .start();
    return new XdsServer(server);
  }

  /**
   * A Netty server builder for the configured address, with TLS when {@code server.ads.tls} is
   * set.
   *
   * @param port overrides the configured port when not null (0 picks a free port)
   */
  public static ServerBuilder<?> builder(MeshConfig.Server settings, Integer port)
      throws IOException, GeneralSecurityException {
    return builder(settings, settings.adsAddress(), port == null ? settings.adsPort() : port);
  }

  /** Like {@link #builder(MeshConfig.Server, Integer)}, on {@code address:port}. */
  public static ServerBuilder<?> builder(MeshConfig.Server settings, String address, int port)
      throws IOException, GeneralSecurityException {
    ServerCredentials creds = settings.tls() == null ? InsecureServerCredentials.create()
        : tls(settings.tls());
    return NettyServerBuilder.forAddress(new InetSocketAddress(address, port), creds)
        .permitKeepAliveTime(30, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
  }

  static ServerCredentials tls(MeshConfig.Tls tls) throws IOException, GeneralSecurityException {
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder();
    if (tls.keyStore() != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(tls.keyStore())) {
        ks.load(in, tls.keyStorePassword().toCharArray());
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(
          KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, tls.keyStorePassword().toCharArray());
      b.keyManager(kmf.getKeyManagers());
    } else {
      b.keyManager(tls.certChain().toFile(), tls.privateKey().toFile());
    }
    if (tls.clientCa() != null) {
      b.trustManager(tls.clientCa().toFile());
      b.clientAuth(tls.requireClientCert() ? TlsServerCredentials.ClientAuth.REQUIRE
          : TlsServerCredentials.ClientAuth.OPTIONAL);
    }
    return b.build();
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
