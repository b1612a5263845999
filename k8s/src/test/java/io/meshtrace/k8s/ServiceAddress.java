package io.meshtrace.k8s;

/**
 * An in-cluster address {@code <service>.<namespace>.svc[.cluster.local]} with a port, as the
 * Envoy configs and component configs write it.
 */
record ServiceAddress(String service, String namespace, int port) {
  static ServiceAddress parse(String host, int port) {
    String h = host.endsWith(".cluster.local") ? host.substring(0, host.length() - ".cluster.local".length()) : host;
    String[] parts = h.split("\\.");
    if (parts.length != 3 || !parts[2].equals("svc")) {
      throw new IllegalArgumentException(host + ": not <service>.<namespace>.svc[.cluster.local]");
    }
    return new ServiceAddress(parts[0], parts[1], port);
  }

  /** http://host[:port]/path -> address (port 80 when absent). */
  static ServiceAddress parseUrl(String url) {
    java.net.URI u = java.net.URI.create(url);
    return parse(u.getHost(), u.getPort() < 0 ? 80 : u.getPort());
  }

  @Override
  public String toString() {
    return service + "." + namespace + ".svc:" + port;
  }
}
