package io.meshtrace.context.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed EC certificates made by the JDK's keytool for a test, written as PEM: the
 * certificate ({@code NAME.crt}, also the CA that trusts it) and its PKCS#8 key
 * ({@code NAME.key}), beside the keystore {@code NAME.p12} (password {@code changeit}). In
 * trace-context's test-jar so every module's TLS tests make their key material one way.
 */
public record TestCertificates(Path cert, Path key) {

  /**
   * Creates {@code name.crt} and {@code name.key} in {@code dir}.
   *
   * @param san keytool's SAN extension value ({@code ip:127.0.0.1,dns:localhost}), or null
   */
  public static TestCertificates selfSigned(Path dir, String name, String san) throws Exception {
    Path store = dir.resolve(name + ".p12");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-validity", "2", "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit"));
    if (san != null) {
      cmd.addAll(List.of("-ext", "SAN=" + san));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    Base64.Encoder pem = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    Path cert = dir.resolve(name + ".crt");
    Files.writeString(cert, "-----BEGIN CERTIFICATE-----\n"
        + pem.encodeToString(ks.getCertificate(name).getEncoded())
        + "\n-----END CERTIFICATE-----\n");
    PrivateKey k = (PrivateKey) ks.getKey(name, "changeit".toCharArray());
    Path key = dir.resolve(name + ".key");
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + pem.encodeToString(k.getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
    return new TestCertificates(cert, key);
  }
}
