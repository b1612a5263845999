package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.meshtrace.context.testing.TestCertificates;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mTLS on the gRPC listener, with certificates made by the JDK's keytool: the server
 * certificate (SAN 127.0.0.1) and a client certificate that the server's client-ca trusts.
 */
class TlsServeTest {

  @TempDir
  static Path dir;

  private static Path serverCert;
  private static Path serverKey;
  private static Path clientCert;
  private static Path clientKey;

  @BeforeAll
  static void certificates() throws Exception {
    TestCertificates server = TestCertificates.selfSigned(dir, "server",
        "ip:127.0.0.1,dns:localhost");
    TestCertificates client = TestCertificates.selfSigned(dir, "client", null);
    serverCert = server.cert();
    serverKey = server.key();
    clientCert = client.cert();
    clientKey = client.key();
  }

  private static ServingStatus check(ExtProcServer server, ChannelCredentials credentials)
      throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), credentials)
        .build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void tls_servesClientsThatTrustTheServerCertificate() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0",
        "--tls.cert-chain", serverCert.toString(), "--tls.private-key", serverKey.toString());
    ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    try {
      assertThat(check(server, TlsChannelCredentials.newBuilder()
          .trustManager(serverCert.toFile()).build())).isEqualTo(ServingStatus.SERVING);
    } finally {
      server.shutdownNow();
    }
  }

  /**
   * An ext_proc stream as Envoy opens it, over mTLS: the incomplete B3 context (trace id
   * without span id) comes back repaired, the caller's trace id kept, read back by
   * OpenTelemetry's propagators; without a client certificate the stream fails.
   */
  @Test
  void mtls_extProcStream_headersRepaired_refusedWithoutClientCertificate() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0",
        "--tls.cert-chain", serverCert.toString(), "--tls.private-key", serverKey.toString(),
        "--tls.client-ca", clientCert.toString());
    ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    ManagedChannel mtls = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        TlsChannelCredentials.newBuilder().trustManager(serverCert.toFile())
            .keyManager(clientCert.toFile(), clientKey.toFile()).build()).build();
    ManagedChannel noCert = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        TlsChannelCredentials.newBuilder().trustManager(serverCert.toFile()).build()).build();
    try {
      EnvoyHeaders headers = EnvoyHeaders.request()
          .raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID, "x-b3-sampled", "1");
      RepairedRequest out = RepairedRequest.apply(headers.map(),
          new RawExtProcClient(mtls).requestHeaders(headers));
      assertThat(out.w3c().isValid()).isTrue();
      assertThat(out.w3c().getTraceId()).isEqualTo(HeaderRulesEndToEndTest.B3_TID);
      assertThat(out.b3().getTraceId()).isEqualTo(HeaderRulesEndToEndTest.B3_TID);
      assertThatThrownBy(() -> new RawExtProcClient(noCert).requestHeaders(headers))
          .isInstanceOf(Exception.class);
    } finally {
      mtls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      noCert.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow();
    }
  }

  @Test
  void mtls_requiresAClientCertificateSignedByTheClientCa() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0",
        "--tls.cert-chain", serverCert.toString(), "--tls.private-key", serverKey.toString(),
        "--tls.client-ca", clientCert.toString());
    ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    try {
      assertThat(check(server, TlsChannelCredentials.newBuilder()
          .trustManager(serverCert.toFile())
          .keyManager(clientCert.toFile(), clientKey.toFile())
          .build())).isEqualTo(ServingStatus.SERVING);
      assertThatThrownBy(() -> check(server, TlsChannelCredentials.newBuilder()
          .trustManager(serverCert.toFile()).build()))
          .isInstanceOf(StatusRuntimeException.class);
      assertThatThrownBy(() -> check(server, TlsChannelCredentials.newBuilder()
          .trustManager(serverCert.toFile())
          .keyManager(serverCert.toFile(), serverKey.toFile())
          .build()))
          .as("a certificate the client CA did not sign")
          .isInstanceOf(StatusRuntimeException.class);
    } finally {
      server.shutdownNow();
    }
  }
}
