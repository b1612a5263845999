package io.meshtrace.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS and mTLS on the admin listener, with key material made by the JDK's keytool. */
class AdminTlsTest {

  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;

  @BeforeAll
  static void keys() throws Exception {
    for (String who : new String[] {"server", "client"}) {
      Process p = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-genkeypair", "-alias", who, "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=" + who, "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
          "-keystore", dir.resolve(who + ".p12").toString(), "-storetype", "PKCS12",
          "-storepass", "changeit").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      KeyStore ks = load(dir.resolve(who + ".p12"));
      Base64.Encoder pem = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
      Files.writeString(dir.resolve(who + ".crt"), "-----BEGIN CERTIFICATE-----\n"
          + pem.encodeToString(ks.getCertificate(who).getEncoded())
          + "\n-----END CERTIFICATE-----\n");
      PrivateKey key = (PrivateKey) ks.getKey(who, PASSWORD);
      Files.writeString(dir.resolve(who + ".key"), "-----BEGIN PRIVATE KEY-----\n"
          + pem.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    }
    Files.writeString(dir.resolve("password"), "changeit\n");
  }

  private static KeyStore load(Path p12) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  /** A client trusting the server's certificate, presenting the client's when asked. */
  private static HttpClient client(boolean withCert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", load(dir.resolve("server.p12")).getCertificate("server"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(load(dir.resolve("client.p12")), PASSWORD);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(withCert ? kmf.getKeyManagers() : null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static int healthz(HttpClient client, AdminServer server) throws Exception {
    return client.send(HttpRequest.newBuilder(
            URI.create("https://127.0.0.1:" + server.port() + "/healthz"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  void pem_servesHttps() throws Exception {
    AdminTls tls = AdminTls.fromPem(dir.resolve("server.crt"), dir.resolve("server.key"), null);
    try (AdminServer server = AdminServer.builder("test").tls(tls).start()) {
      assertThat(server.scheme()).isEqualTo("https");
      assertThat(healthz(client(false), server)).isEqualTo(200);
      assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("https://127.0.0.1:" + server.port() + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString()))
          .as("a client that does not trust the certificate").isInstanceOf(IOException.class);
    }
  }

  @Test
  void keyStoreWithClientCa_requiresClientCertificate() throws Exception {
    AdminTls tls = AdminTls.fromKeyStore(dir.resolve("server.p12"),
        AdminTls.passwordFile(dir.resolve("password")), dir.resolve("client.crt"));
    assertThat(tls.requiresClientCert()).isTrue();
    try (AdminServer server = AdminServer.builder("test").tls(tls).start()) {
      assertThat(healthz(client(true), server)).isEqualTo(200);
      assertThatThrownBy(() -> healthz(client(false), server)).isInstanceOf(IOException.class);
    }
  }

  @Test
  void badKeyMaterial_namesTheFile() throws Exception {
    Path notAKey = dir.resolve("server.crt");
    assertThatThrownBy(() -> AdminTls.fromPem(dir.resolve("server.crt"), notAKey, null))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining(notAKey.toString())
        .hasMessageContaining("BEGIN PRIVATE KEY");
    assertThatThrownBy(() -> AdminTls.fromKeyStore(dir.resolve("server.p12"),
        "wrong".toCharArray(), null))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("server.p12");
  }
}
