package io.meshtrace.xds.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshtrace.xds.admin.PeerSource;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The replicas of the xds-server Service, read from its EndpointSlices (label
 * {@code kubernetes.io/service-name}) on every fleet view: each ready endpoint's first address,
 * on the slice's port named {@value #ADMIN_PORT_NAME} (the Service's admin port), else on this
 * replica's own admin port. The endpoint of this pod ({@code targetRef.name} equal to the
 * replica name) is left out. Needs {@code list} on {@code endpointslices} in the namespace.
 */
public final class ServicePeers implements PeerSource {

  /** Name of the admin port in the shipped Service ({@code k8s/base/standalone}). */
  public static final String ADMIN_PORT_NAME = "http-admin";

  private final KubernetesClient client;
  private final String namespace;
  private final String service;
  private final String scheme;
  private final int adminPort;
  private final String self;
  private final boolean ownsClient;

  /**
   * @param scheme {@code http}, or {@code https} when the admin API serves TLS
   * @param adminPort this replica's admin port, used when a slice has no port of that name
   * @param self this replica's name (the pod name)
   * @param ownsClient whether {@link #close()} closes the client
   */
  public ServicePeers(KubernetesClient client, String namespace, String service, String scheme,
      int adminPort, String self, boolean ownsClient) {
    this.client = client;
    this.namespace = namespace;
    this.service = service;
    this.scheme = scheme;
    this.adminPort = adminPort;
    this.self = self;
    this.ownsClient = ownsClient;
  }

  @Override
  public List<URI> peers() {
    Set<URI> out = new LinkedHashSet<>();
    List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel("kubernetes.io/service-name", service).list().getItems();
    for (EndpointSlice slice : slices) {
      int port = adminPort;
      for (EndpointPort p : slice.getPorts() == null ? List.<EndpointPort>of() : slice.getPorts()) {
        if (ADMIN_PORT_NAME.equals(p.getName()) && p.getPort() != null) {
          port = p.getPort();
        }
      }
      for (Endpoint e : slice.getEndpoints() == null ? List.<Endpoint>of()
          : slice.getEndpoints()) {
        ObjectReference ref = e.getTargetRef();
        boolean ready = e.getConditions() == null || e.getConditions().getReady() == null
            || e.getConditions().getReady();
        if (!ready || e.getAddresses() == null || e.getAddresses().isEmpty()
            || (ref != null && self.equals(ref.getName()))) {
          continue;
        }
        String host = e.getAddresses().get(0);
        out.add(URI.create(scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
            + ":" + port));
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public String describe() {
    return "EndpointSlices of Service " + namespace + "/" + service;
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }
}
