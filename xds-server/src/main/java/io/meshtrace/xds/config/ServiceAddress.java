package io.meshtrace.xds.config;

/**
 * Istio's {@code service} of an extension provider: {@code [<namespace>/]<hostname>}, e.g.
 * {@code otel-collector.observability.svc.cluster.local} or
 * {@code observability/otel-collector.observability.svc.cluster.local}.
 *
 * <p>In Istio the namespace only picks one of several registry entries with the same host name
 * (a Kubernetes Service or a ServiceEntry host); the host name is what the collector cluster
 * reaches. meshtrace resolves the host name through DNS, where the namespace adds nothing, so
 * it is checked and not carried further: it must be a namespace name, and a Kubernetes Service
 * host ({@code <name>.<namespace>.svc[.<domain>]}) must be of that namespace, since Istio
 * finds no such service otherwise.
 */
final class ServiceAddress {

  static final String EXPECTED = "must be [<namespace>/]<hostname>, e.g. "
      + "observability/otel-collector.observability.svc.cluster.local";

  private ServiceAddress() {}

  /** The host name of {@code key} under {@code o}, or null (reported) when absent or wrong. */
  static String read(ConfigTree o, String key) {
    String s = o.string(key, true);
    if (s == null) {
      return null;
    }
    int slash = s.indexOf('/');
    String host = slash < 0 ? s : s.substring(slash + 1);
    if (slash >= 0) {
      String namespace = s.substring(0, slash);
      if (!ValueSyntax.isDnsLabel(namespace)) {
        o.error(key, s, "namespace \"" + ValueSyntax.shorten(namespace, 60)
            + "\" is not a Kubernetes namespace name; " + EXPECTED);
        return null;
      }
      String hostNamespace = kubernetesNamespace(host);
      if (hostNamespace != null && !hostNamespace.equals(namespace)) {
        o.error(key, s, "the host is a Service of namespace " + hostNamespace + ", not "
            + namespace + " (Istio finds no such service); write " + hostNamespace + "/" + host
            + " or the host alone");
        return null;
      }
    }
    if (!ValueSyntax.isHost(host)) {
      o.error(key, s, EXPECTED);
      return null;
    }
    return host;
  }

  /**
   * The namespace of a Kubernetes Service host name ({@code reviews.bookinfo.svc} or
   * {@code reviews.bookinfo.svc.cluster.local}), or null for any other host.
   */
  static String kubernetesNamespace(String host) {
    String[] labels = host.split("\\.");
    return labels.length >= 3 && labels[2].equals("svc") && !labels[1].isEmpty() ? labels[1]
        : null;
  }
}
