package io.meshtrace.xds.snapshot;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks across the resources of one group that no single resource's rules can make:
 * references resolve, internal listeners and the clusters that reach them match, EDS and RDS
 * names match their resources one to one, and every assignment has its localities.
 */
final class ConsistencyChecks {

  private ConsistencyChecks() {}

  /** Runs every check, adding each problem to the set's errors. */
  static void run(ResourceSet set) {
    referencesExist(set);
    internalReferencesExist(set);
    namesMatch(set);
    for (ClusterLoadAssignment cla : set.endpoints().values()) {
      localitiesSet(set, "endpoints " + cla.getClusterName(), cla);
    }
    for (Cluster c : set.clusters().values()) {
      localitiesSet(set, "cluster " + c.getName() + " load_assignment", c.getLoadAssignment());
    }
  }

  /** Every cluster a route, tracer or ext_proc filter names is in the snapshot. */
  private static void referencesExist(ResourceSet set) {
    for (Map.Entry<String, String> ref : set.clusterRefs().entrySet()) {
      if (!set.hasCluster(ref.getKey())) {
        set.error(ref.getValue() + ": references cluster " + ref.getKey()
            + " which is not in the snapshot");
      }
    }
  }

  /**
   * Every {@code envoy_internal_address} of a cluster names a listener of this snapshot that is
   * an internal listener, and every internal listener is reached by a cluster.
   */
  private static void internalReferencesExist(ResourceSet set) {
    String group = set.group();
    Set<String> reached = new TreeSet<>();
    for (Cluster c : set.clusters().values()) {
      for (LocalityLbEndpoints l : c.getLoadAssignment().getEndpointsList()) {
        for (LbEndpoint e : l.getLbEndpointsList()) {
          if (!e.getEndpoint().getAddress().hasEnvoyInternalAddress()) {
            continue;
          }
          String name = e.getEndpoint().getAddress().getEnvoyInternalAddress()
              .getServerListenerName();
          reached.add(name);
          Listener target = set.listeners().get(name);
          if (target == null || !target.hasInternalListener()) {
            set.error("snapshot " + group + ": cluster " + c.getName()
                + " reaches internal listener " + name + (target == null
                    ? " which is not in the snapshot" : " which is not an internal listener"));
          }
          if (!c.getTransportSocket().getName().equals(EnvoyProtos.INTERNAL_UPSTREAM_SOCKET)) {
            set.error("snapshot " + group + ": cluster " + c.getName()
                + " reaches an internal listener without the internal_upstream transport socket");
          }
        }
      }
    }
    for (Listener l : set.listeners().values()) {
      if (l.hasInternalListener() && !reached.contains(l.getName())) {
        set.error("snapshot " + group + ": internal listener " + l.getName()
            + " is reached by no cluster");
      }
    }
  }

  /**
   * What {@code Snapshot.ensureConsistent()} checks, done here because java-control-plane finds
   * RDS references only under the deprecated filter name {@code envoy.http_connection_manager}:
   * every EDS cluster has its endpoints, every RDS name its route configuration, and nothing is
   * left over.
   */
  private static void namesMatch(ResourceSet set) {
    Set<String> edsRefs = new LinkedHashSet<>();
    for (Cluster c : set.clusters().values()) {
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        edsRefs.add(c.getEdsClusterConfig().getServiceName().isEmpty() ? c.getName()
            : c.getEdsClusterConfig().getServiceName());
      }
    }
    if (!edsRefs.equals(set.endpoints().keySet())) {
      set.error("snapshot " + set.group() + ": EDS clusters " + edsRefs
          + " do not match endpoints " + set.endpoints().keySet());
    }
    if (!set.rdsRefs().equals(set.routes().keySet())) {
      set.error("snapshot " + set.group() + ": RDS references " + set.rdsRefs()
          + " do not match route configurations " + set.routes().keySet());
    }
  }

  /** grpc-js-xds rejects a whole assignment when one of its localities has no locality. */
  private static void localitiesSet(ResourceSet set, String label, ClusterLoadAssignment cla) {
    for (int i = 0; i < cla.getEndpointsCount(); i++) {
      if (!cla.getEndpoints(i).hasLocality()) {
        set.error("snapshot " + set.group() + ": " + label + ": endpoints[" + i
            + "] has no locality");
      }
    }
  }
}
