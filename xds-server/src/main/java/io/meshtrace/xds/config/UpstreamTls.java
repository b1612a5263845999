package io.meshtrace.xds.config;

/**
 * TLS of a connection an Envoy opens to a meshtrace server (the gateway's {@code ext_proc}
 * cluster, the bootstrap's {@code xds_cluster}). The files are paths on the Envoy's machine,
 * read by Envoy, not by xds-server.
 *
 * <pre>{@code
 * tls:
 *   trustedCa: /etc/meshtrace/tls/ca.crt       # required: the server certificate is checked
 *   certChain: /etc/meshtrace/tls/tls.crt      # with privateKey: a client certificate (mTLS)
 *   privateKey: /etc/meshtrace/tls/tls.key
 *   sni: ext-proc.meshtrace.svc               # default: the host, when it is a name
 * }</pre>
 *
 * @param trustedCa PEM CA certificates the server's certificate must chain to
 * @param certChain PEM client certificate chain, or null (TLS without a client certificate)
 * @param privateKey PEM key of {@code certChain}, or null
 * @param sni server name sent and required in the server certificate's subject alternative
 *     names, or null for the host connected to
 */
public record UpstreamTls(String trustedCa, String certChain, String privateKey, String sni) {

  /** Checks what a parser cannot forget to check; readers name the key path first. */
  public UpstreamTls {
    if (trustedCa == null || trustedCa.isEmpty()) {
      throw new IllegalArgumentException("trustedCa: required");
    }
    if ((certChain == null) != (privateKey == null)) {
      throw new IllegalArgumentException("certChain and privateKey go together");
    }
  }

  /** Whether Envoy presents a client certificate (the server may then require one: mTLS). */
  public boolean mutual() {
    return certChain != null;
  }

  /** The name the server certificate must carry: {@code sni}, else {@code host}. */
  public String serverName(String host) {
    return sni != null ? sni : host;
  }
}
