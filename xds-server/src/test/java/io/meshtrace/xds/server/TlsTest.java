package io.meshtrace.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.TlsChannelCredentials;
import io.meshtrace.context.testing.TestCertificates;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS on the ADS port, with key material made by the JDK's keytool. */
class TlsTest {

  @TempDir
  static Path keys;

  @TempDir
  Path dir;

  @BeforeAll
  static void keys() throws Exception {
    // Each writes NAME.p12 (password changeit), NAME.crt and NAME.key.
    for (String who : List.of("server", "client")) {
      TestCertificates.selfSigned(keys, who, "ip:127.0.0.1,dns:localhost");
    }
  }

  @BeforeEach
  void copyKeys() throws Exception {
    for (String f : List.of("server.p12", "server.crt", "client.p12", "client.crt")) {
      Files.copy(keys.resolve(f), dir.resolve(f));
    }
  }

  private TestServer server(boolean require) throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), TestMesh.base() + """
        server:
          ads:
            address: 127.0.0.1
            port: 0
            tls:
              keyStore: server.p12
              keyStorePassword: changeit
              clientCa: client.crt
              requireClientCert: %s
          admin: {address: 127.0.0.1, port: 0, tokenFile: token}
        """.formatted(require));
    return TestServer.start(dir, "");
  }

  private AdsTestClient client(TestServer s, boolean withCert) throws Exception {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder()
        .trustManager(dir.resolve("server.crt").toFile());
    if (withCert) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(dir.resolve("client.p12"))) {
        ks.load(in, "changeit".toCharArray());
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(
          KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "changeit".toCharArray());
      b.keyManager(kmf.getKeyManagers());
    }
    ChannelCredentials creds = b.build();
    return new AdsTestClient(Grpc.newChannelBuilderForAddress("127.0.0.1", s.app.adsPort(),
        creds).overrideAuthority("localhost").build(),
        Node.newBuilder().setId("pp").setCluster("productpage").build(), false);
  }

  @Test
  void mtlsRequired_clientWithCertificate_served() throws Exception {
    try (TestServer s = server(true); AdsTestClient c = client(s, true)) {
      c.request(AdsTestClient.CDS, List.of(), "", "", null);
      assertThat(c.next(AdsTestClient.CDS, 5000).getResourcesCount()).isGreaterThan(0);
    }
  }

  @Test
  void mtlsRequired_clientWithoutCertificate_refused() throws Exception {
    try (TestServer s = server(true); AdsTestClient c = client(s, false)) {
      c.request(AdsTestClient.CDS, List.of(), "", "", null);
      assertThat(c.poll(AdsTestClient.CDS, 2000)).isNull();
      assertThat(s.app.plane().registry().proxies()).isEmpty();
    }
  }

  @Test
  void mtlsOptional_clientWithoutCertificate_served() throws Exception {
    try (TestServer s = server(false); AdsTestClient c = client(s, false)) {
      c.request(AdsTestClient.CDS, List.of(), "", "", null);
      assertThat(c.next(AdsTestClient.CDS, 5000).getResourcesCount()).isGreaterThan(0);
    }
  }
}
