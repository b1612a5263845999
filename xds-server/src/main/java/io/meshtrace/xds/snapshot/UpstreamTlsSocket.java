package io.meshtrace.xds.snapshot;

import com.google.common.net.InetAddresses;
import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.meshtrace.xds.config.UpstreamTls;

/**
 * The {@code envoy.transport_sockets.tls} socket of a cluster whose server is checked: the
 * chain against {@code trusted_ca}, and its name, since Envoy checks no name unless told to
 * ({@code match_typed_subject_alt_names}: a DNS SAN equal to the name, or an IP SAN for an IP):
 *
 * <pre>
 * transport_socket:
 *   name: envoy.transport_sockets.tls
 *   typed_config:
 *     "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
 *     common_tls_context:
 *       tls_certificates: [{certificate_chain: {filename: tls.crt}, private_key: {filename: tls.key}}]
 *       validation_context:
 *         trusted_ca: {filename: ca.crt}
 *         match_typed_subject_alt_names: [{san_type: DNS, matcher: {exact: ext-proc.meshtrace.svc}}]
 *     sni: ext-proc.meshtrace.svc
 * </pre>
 */
public final class UpstreamTlsSocket {

  /** Envoy's name of the TLS transport socket. */
  public static final String NAME = "envoy.transport_sockets.tls";

  private UpstreamTlsSocket() {}

  /** The TLS context for a connection to {@code host} (a host name or an IP address). */
  public static UpstreamTlsContext context(UpstreamTls tls, String host) {
    String name = tls.serverName(host);
    boolean ip = InetAddresses.isInetAddress(name);
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
        .setValidationContext(CertificateValidationContext.newBuilder()
            .setTrustedCa(file(tls.trustedCa()))
            .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                .setSanType(ip ? SubjectAltNameMatcher.SanType.IP_ADDRESS
                    : SubjectAltNameMatcher.SanType.DNS)
                .setMatcher(StringMatcher.newBuilder().setExact(name))));
    if (tls.mutual()) {
      common.addTlsCertificates(TlsCertificate.newBuilder()
          .setCertificateChain(file(tls.certChain()))
          .setPrivateKey(file(tls.privateKey())));
    }
    UpstreamTlsContext.Builder b = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
    // SNI carries host names only (RFC 6066 section 3).
    if (!ip) {
      b.setSni(name);
    }
    return b.build();
  }

  /** {@link #context} as a cluster's {@code transport_socket}. */
  public static TransportSocket socket(UpstreamTls tls, String host) {
    return TransportSocket.newBuilder()
        .setName(NAME)
        .setTypedConfig(Any.pack(context(tls, host)))
        .build();
  }

  private static DataSource file(String path) {
    return DataSource.newBuilder().setFilename(path).build();
  }
}
