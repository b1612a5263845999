package io.meshtrace.xds;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshtrace.xds.admin.Fleet;
import io.meshtrace.xds.admin.PeerSource;
import io.meshtrace.xds.kubernetes.ServicePeers;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code serve}'s flags for the fleet view: this replica's name and where its peers are. */
final class FleetOptions {

  /** The admin port peers listen on when an EndpointSlice names none (the default one). */
  static final int DEFAULT_ADMIN_PORT = 18001;

  @Option(names = "--replica", paramLabel = "NAME",
      description = "This replica's name in /proxies and proxy-status (default: the HOSTNAME "
          + "environment variable, the pod name in Kubernetes, else the host name).")
  String replica;

  @Option(names = "--peer", paramLabel = "URL",
      description = "Admin URL of another replica for GET /proxies?scope=fleet, e.g. "
          + "http://10.0.0.8:18001 (repeatable; the list may include this replica).")
  List<String> peers = new ArrayList<>();

  @Option(names = "--peers-service", paramLabel = "NAME",
      description = "Find the peers in the EndpointSlices of this Service (Kubernetes; in-cluster "
          + "service account or KUBECONFIG), on its port named " + ServicePeers.ADMIN_PORT_NAME
          + ".")
  String peersService;

  /**
   * The fleet these flags describe.
   *
   * @param tls whether the admin API serves HTTPS (then peers found in Kubernetes are asked
   *     over HTTPS)
   * @param adminPort the admin port flag, or null
   * @param namespace serve's {@code --namespace} (also the MeshTracing's), or null: then the
   *     client's namespace, in a pod its own
   */
  Fleet build(CommandLine cl, boolean tls, Integer adminPort, String namespace) {
    String name = replica == null ? Fleet.defaultReplica() : replica.trim();
    if (name.isEmpty()) {
      throw new CommandLine.ParameterException(cl, "--replica: must not be blank");
    }
    if (peersService != null && !peers.isEmpty()) {
      throw new CommandLine.ParameterException(cl,
          "--peer and --peers-service: use one (--peer in file mode, --peers-service in "
              + "Kubernetes)");
    }
    if (peersService != null) {
      if (peersService.isBlank()) {
        throw new CommandLine.ParameterException(cl, "--peers-service: must name a Service");
      }
      KubernetesClient client = new KubernetesClientBuilder().build();
      String ns = namespace != null ? namespace : client.getNamespace();
      if (ns == null || ns.isBlank()) {
        client.close();
        throw new CommandLine.ParameterException(cl, "--namespace: needed with --peers-service "
            + "(the Kubernetes client knows no namespace)");
      }
      return new Fleet(name, new ServicePeers(client, ns, peersService, tls ? "https" : "http",
          adminPort != null && adminPort > 0 ? adminPort : DEFAULT_ADMIN_PORT, name, true));
    }
    List<URI> urls = new ArrayList<>();
    for (String p : peers) {
      urls.add(peerUrl(cl, p));
    }
    return new Fleet(name, urls.isEmpty() ? PeerSource.NONE : PeerSource.of(urls));
  }

  /** {@code http(s)://host:port} with nothing after it. */
  static URI peerUrl(CommandLine cl, String value) {
    URI u;
    try {
      u = new URI(value.trim());
    } catch (URISyntaxException e) {
      u = null;
    }
    if (u == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
        || u.getHost() == null || u.getPort() < 0
        || !(u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/"))
        || u.getRawQuery() != null || u.getRawUserInfo() != null) {
      throw new CommandLine.ParameterException(cl, "--peer=" + value + ": expected an admin "
          + "URL http://HOST:PORT or https://HOST:PORT");
    }
    return URI.create(u.getScheme() + "://" + u.getRawAuthority());
  }
}
