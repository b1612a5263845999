package io.meshtrace.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for an admin listener: the server's key and certificate chain from PEM files or a PKCS#12
 * key store, and optionally the CA that client certificates must chain to (then every client
 * must present one: mTLS). TLS 1.2 and 1.3 only.
 *
 * <pre>{@code
 * AdminTls tls = AdminTls.fromPem(Path.of("admin.crt"), Path.of("admin.key"), null);
 * AdminServer.builder("xds-server").tls(tls)...
 * }</pre>
 *
 * PEM keys must be unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA, EC or Ed25519) or
 * PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}); convert others with
 * {@code openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem}.
 */
public final class AdminTls {

  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
  private static final char[] IN_MEMORY_PASSWORD = "meshtrace-admin".toCharArray();
  private static final String PKCS8 = "PRIVATE KEY";
  private static final String PKCS1_RSA = "RSA PRIVATE KEY";
  /** AlgorithmIdentifier of rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
  private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48,
      (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

  private final SSLContext context;
  private final boolean requireClientCert;

  private AdminTls(SSLContext context, boolean requireClientCert) {
    this.context = context;
    this.requireClientCert = requireClientCert;
  }

  /**
   * From PEM files.
   *
   * @param clientCa PEM CA certificates client certificates must chain to, or null (no mTLS)
   * @throws GeneralSecurityException naming the file that holds no usable key or certificate
   */
  public static AdminTls fromPem(Path certChain, Path privateKey, Path clientCa)
      throws IOException, GeneralSecurityException {
    List<Certificate> chain = certificates(certChain);
    PrivateKey key = privateKey(privateKey);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("admin", key, IN_MEMORY_PASSWORD, chain.toArray(new Certificate[0]));
    return create(store, IN_MEMORY_PASSWORD, clientCa);
  }

  /** From a PKCS#12 key store holding the server key and its chain. */
  public static AdminTls fromKeyStore(Path keyStore, char[] password, Path clientCa)
      throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, password);
    } catch (IOException e) {
      throw new GeneralSecurityException(keyStore + ": cannot open the PKCS#12 key store (wrong"
          + " password or not PKCS#12): " + e.getMessage(), e);
    }
    return create(store, password, clientCa);
  }

  private static AdminTls create(KeyStore store, char[] password, Path clientCa)
      throws IOException, GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, password);
    TrustManagerFactory tmf = null;
    if (clientCa != null) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (Certificate ca : certificates(clientCa)) {
        trust.setCertificateEntry("ca-" + i++, ca);
      }
      tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
    return new AdminTls(context, clientCa != null);
  }

  SSLContext context() {
    return context;
  }

  /** The handshake parameters: TLS 1.2+, client certificates required when a CA was given. */
  SSLParameters parameters() {
    SSLParameters p = context.getDefaultSSLParameters();
    p.setProtocols(PROTOCOLS);
    p.setNeedClientAuth(requireClientCert);
    return p;
  }

  /** True when clients must present a certificate. */
  public boolean requiresClientCert() {
    return requireClientCert;
  }

  private static List<Certificate> certificates(Path file)
      throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> certs;
    try (InputStream in = Files.newInputStream(file)) {
      certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(file + ": not PEM X.509 certificates: "
          + e.getMessage(), e);
    }
    if (certs.isEmpty()) {
      throw new GeneralSecurityException(file + ": holds no certificate");
    }
    return new ArrayList<>(certs);
  }

  private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    byte[] pkcs8;
    if (pem.contains("-----BEGIN " + PKCS8 + "-----")) {
      pkcs8 = block(pem, PKCS8, file);
    } else if (pem.contains("-----BEGIN " + PKCS1_RSA + "-----")) {
      pkcs8 = pkcs8FromPkcs1(block(pem, PKCS1_RSA, file));
    } else {
      throw new GeneralSecurityException(file + ": no unencrypted 'BEGIN PRIVATE KEY' or 'BEGIN"
          + " RSA PRIVATE KEY' block; convert with openssl pkcs8 -topk8 -nocrypt");
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pkcs8);
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // not this algorithm: try the next one
      }
    }
    throw new GeneralSecurityException(file + ": the key is not RSA, EC, Ed25519 or Ed448");
  }

  private static byte[] block(String pem, String type, Path file) throws GeneralSecurityException {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int from = pem.indexOf(begin) + begin.length();
    int to = pem.indexOf(end, from);
    if (to < 0) {
      throw new GeneralSecurityException(file + ": '" + begin + "' without '" + end + "'");
    }
    try {
      return Base64.getMimeDecoder().decode(pem.substring(from, to));
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException(file + ": the " + type + " block is not base64", e);
    }
  }

  /** PKCS#8 PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING pkcs1 }. */
  private static byte[] pkcs8FromPkcs1(byte[] pkcs1) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(RSA_ALGORITHM);
    body.write(0x04);
    length(body, pkcs1.length);
    body.writeBytes(pkcs1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x30);
    length(out, body.size());
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  private static void length(ByteArrayOutputStream out, int length) {
    if (length < 0x80) {
      out.write(length);
      return;
    }
    int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
    out.write(0x80 | bytes);
    for (int i = bytes - 1; i >= 0; i--) {
      out.write(length >>> (8 * i));
    }
  }

  /** Reads a key store password from a file (first line), so it is not on the command line. */
  static char[] passwordFile(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int nl = text.indexOf('\n');
    return (nl < 0 ? text : text.substring(0, nl)).strip().toCharArray();
  }
}
