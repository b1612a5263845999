package io.grpc.xds;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The bootstrap {@code channel_creds} type {@code tls} as gRFC A65 defines it
 * ({@code ca_certificate_file}, {@code certificate_file}, {@code private_key_file}), for the
 * tests' grpc-java xDS clients. grpc-xds 1.85.1's own provider of that type returns
 * {@code TlsChannelCredentials.create()} and ignores the config (system roots, no client
 * certificate), so it cannot reach an xDS server with a private CA or mTLS; this one, of higher
 * priority, replaces it on the test class path only (META-INF/services).
 */
public final class A65TlsCredentialsProvider extends XdsCredentialsProvider {

  @Override
  protected ChannelCredentials newChannelCredentials(Map<String, ?> config) {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    try {
      Object ca = config == null ? null : config.get("ca_certificate_file");
      if (ca != null) {
        b.trustManager(new File((String) ca));
      }
      Object cert = config == null ? null : config.get("certificate_file");
      if (cert != null) {
        b.keyManager(new File((String) cert), new File((String) config.get("private_key_file")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.build();
  }

  @Override
  protected String getName() {
    return "tls";
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int priority() {
    return 10;
  }
}
