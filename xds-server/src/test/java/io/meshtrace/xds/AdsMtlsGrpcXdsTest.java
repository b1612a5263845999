package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.xds.XdsNameResolverProvider;
import io.meshtrace.context.testing.TestCertificates;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's xDS client (bootstrap {@code channel_creds} type {@code tls}, gRFC A65; its
 * credentials from {@link io.grpc.xds.A65TlsCredentialsProvider}, see there why) against
 * xds-server's ADS port with mTLS required ({@code server.ads.tls} with {@code clientCa} and
 * {@code requireClientCert}): with a client certificate it gets the config and calls the
 * backend through it; without one, or with one the CA did not sign, it gets nothing and no
 * proxy is registered.
 */
class AdsMtlsGrpcXdsTest {

  @TempDir
  static Path dir;

  private static TestServer xds;
  private static Server backend;
  private static TestCertificates server;
  private static TestCertificates client;
  private static TestCertificates stranger;

  @BeforeAll
  static void start() throws Exception {
    server = TestCertificates.selfSigned(dir, "xds-server", "ip:127.0.0.1,dns:localhost");
    client = TestCertificates.selfSigned(dir, "grpc-client", null);
    stranger = TestCertificates.selfSigned(dir, "stranger", null);
    backend = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            InsecureServerCredentials.create())
        .addService(new HealthStatusManager().getHealthService()).build().start();
    Files.writeString(dir.resolve("token"), TestServer.TOKEN + "\n");
    Files.writeString(dir.resolve("mesh.yaml"), TestMesh.yaml(TestMesh.PROVIDERS,
        TestMesh.TRACING, """
        services:
          - name: productpage
            ports: [{name: http, number: 9080}]
            endpoints: [{address: 10.0.0.10}]
            dependencies: [reviews]
          - name: reviews
            ports: [{name: grpc, number: 9080, protocol: GRPC}]
            endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        server:
          ads:
            address: 127.0.0.1
            port: 0
            tls: {certChain: %s, privateKey: %s, clientCa: %s, requireClientCert: true}
          admin: {address: 127.0.0.1, port: 0, tokenFile: token}
        """.formatted(backend.getPort(), server.cert(), server.key(), client.cert())));
    xds = TestServer.restart(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (xds != null) {
      xds.close();
    }
    if (backend != null) {
      backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Checks the backend through a channel whose xDS client uses {@code creds}. */
  private static HealthCheckResponse.ServingStatus call(String scheme, Map<String, ?> creds,
      int seconds) throws Exception {
    return call(xds.app.adsPort(), scheme, creds, seconds);
  }

  private static HealthCheckResponse.ServingStatus call(int adsPort, String scheme,
      Map<String, ?> creds, int seconds) throws Exception {
    Map<String, Object> bootstrap = Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + adsPort,
            "channel_creds", List.of(Map.of("type", "tls", "config", creds)),
            "server_features", List.of("xds_v3"))),
        "node", Map.of("id", scheme + "-1", "cluster", "productpage",
            "metadata", Map.of("ROLE", "grpc")));
    XdsNameResolverProvider resolver = XdsNameResolverProvider.createForTest(scheme, bootstrap);
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    ManagedChannel channel = Grpc.newChannelBuilder(scheme + ":///reviews",
        InsecureChannelCredentials.create()).build();
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(seconds, TimeUnit.SECONDS)
          .withWaitForReady()
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
  }

  private static Map<String, String> creds(TestCertificates identity) {
    Map<String, String> m = new HashMap<>();
    m.put("ca_certificate_file", server.cert().toString());
    if (identity != null) {
      m.put("certificate_file", identity.cert().toString());
      m.put("private_key_file", identity.key().toString());
    }
    return m;
  }

  @Test
  void mtls_clientCertificateSignedByTheClientCa_receivesConfigAndCalls() throws Exception {
    assertThat(call("xds-mtls-ok", creds(client), 20))
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void mtls_noClientCertificate_refused() {
    assertThatThrownBy(() -> call("xds-mtls-none", creds(null), 3))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(xds.app.plane().registry().proxies().toString()).doesNotContain("xds-mtls-none");
  }

  @Test
  void mtls_certificateTheClientCaDidNotSign_refused() {
    assertThatThrownBy(() -> call("xds-mtls-stranger", creds(stranger), 3))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(xds.app.plane().registry().proxies().toString())
        .doesNotContain("xds-mtls-stranger");
  }

  /**
   * {@code serve --ads-tls-cert/--ads-tls-key/--ads-tls-client-ca}: the ADS port's TLS from the
   * flags, for a config without {@code server.ads.tls} (a MeshTracing carries none).
   */
  @Test
  void mtls_fromFlags_overridesAConfigWithoutTls() throws Exception {
    Path plain = dir.resolve("plain.yaml");
    Files.writeString(plain, Files.readString(dir.resolve("mesh.yaml"))
        .replaceAll("(?m)^    tls: .*\n", ""));
    assertThat(Files.readString(plain)).doesNotContain("tls:");
    try (XdsApplication app = XdsApplication.start(new XdsApplication.Options(plain,
        "127.0.0.1", 0, 0, java.time.Duration.ofSeconds(1), null, null, null, null,
        new io.meshtrace.xds.config.MeshConfig.Tls(server.cert(), server.key(), null, null,
            client.cert(), true)))) {
      assertThat(call(app.adsPort(), "xds-flags-ok", creds(client), 20))
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      assertThatThrownBy(() -> call(app.adsPort(), "xds-flags-none", creds(null), 3))
          .isInstanceOf(StatusRuntimeException.class);
    }
  }
}
