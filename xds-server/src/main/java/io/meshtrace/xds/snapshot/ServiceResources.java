package io.meshtrace.xds.snapshot;

import com.google.common.net.InetAddresses;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Service;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What every node role builds from the mesh's services: the cluster of a service port with its
 * endpoints, the routes to it, the services a node depends on and the authorities clients use.
 */
final class ServiceResources {

  private final MeshConfig config;
  private final Service self;
  private final ResourceSet set;
  private final boolean envoy;

  /**
   * @param self the node's own service, null when it is not in the config
   * @param envoy whether the node is an Envoy (false: a proxyless gRPC client)
   */
  ServiceResources(MeshConfig config, Service self, ResourceSet set, boolean envoy) {
    this.config = config;
    this.self = self;
    this.set = set;
    this.envoy = envoy;
  }

  /** The services the node calls: its {@code dependencies}, or every service. */
  List<Service> dependencies() {
    if (self == null || self.dependencies() == null) {
      return config.services();
    }
    List<Service> out = new ArrayList<>();
    for (String name : self.dependencies()) {
      Service s = config.service(name);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  /** {@code outbound|9080||reviews}. */
  static String outboundCluster(Service s, Port port) {
    return "outbound|" + port.number() + "||" + s.name();
  }

  /**
   * The authorities a client may use for {@code port} of {@code d}: {@code name:port} and
   * {@code host:port} for every host, plus the bare names for the service's first port.
   */
  static Set<String> authorities(Service d, Port port, boolean firstPort) {
    Set<String> names = new LinkedHashSet<>();
    names.add(d.name() + ":" + port.number());
    d.hosts().forEach(h -> names.add(h + ":" + port.number()));
    if (firstPort) {
      names.add(d.name());
      names.addAll(d.hosts());
    }
    return names;
  }

  /**
   * The locality of a service's endpoints ({@code services[i].locality}); a service without one
   * gets {@link EnvoyProtos#DEFAULT_LOCALITY}, the same bytes as before localities existed.
   */
  static Locality locality(Service s) {
    MeshConfig.Locality l = s.locality();
    if (l == null || l.equals(MeshConfig.Locality.NONE)) {
      return EnvoyProtos.DEFAULT_LOCALITY;
    }
    return Locality.newBuilder().setRegion(l.region()).setZone(l.zone())
        .setSubZone(l.subZone()).build();
  }

  /**
   * Builds (once) the outbound cluster of a service port and returns its name. Endpoints that
   * are IP addresses make an EDS cluster with its assignment; endpoints that are host names
   * (Kubernetes Services) a STRICT_DNS cluster for Envoy, or for proxyless gRPC (which has no
   * STRICT_DNS) a LOGICAL_DNS cluster with its one endpoint. HTTP/2 protocol options for
   * Envoy's HTTP2/GRPC ports.
   */
  String servicePortCluster(Service s, Port port) {
    String name = outboundCluster(s, port);
    if (set.hasCluster(name)) {
      return name;
    }
    int hostNames = 0;
    for (MeshConfig.Endpoint e : s.endpoints()) {
      hostNames += InetAddresses.isInetAddress(e.address()) ? 0 : 1;
    }
    if (hostNames > 0 && hostNames < s.endpoints().size()) {
      set.error(s.path() + ".endpoints: mixes IP addresses and host names: use all IP"
          + " addresses (EDS) or all host names (DNS)");
      return name;
    }
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setConnectTimeout(EnvoyProtos.CONNECT_TIMEOUT)
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (envoy && port.protocol().http2()) {
      EnvoyProtos.http2(c);
    }
    ClusterLoadAssignment cla = assignment(s, port, name);
    if (hostNames == 0) {
      c.setType(Cluster.DiscoveryType.EDS)
          .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
              .setEdsConfig(EnvoyProtos.ads()));
      set.putEndpoints(cla);
    } else if (envoy) {
      c.setType(Cluster.DiscoveryType.STRICT_DNS)
          .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
          .setLoadAssignment(cla);
    } else if (hostNames > 1) {
      set.error(s.path() + ".endpoints: proxyless gRPC resolves a host name endpoint through"
          + " LOGICAL_DNS, which takes exactly one endpoint; " + hostNames + " given");
      return name;
    } else {
      c.setType(Cluster.DiscoveryType.LOGICAL_DNS).setLoadAssignment(cla);
    }
    set.putCluster(c.build(), port.path());
    return name;
  }

  /** The endpoints of a service port: one locality, weight 1, each address and port once. */
  private ClusterLoadAssignment assignment(Service s, Port port, String name) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
        .setLocality(locality(s))
        // grpc-xds drops localities without a weight.
        .setLoadBalancingWeight(UInt32Value.of(1));
    Map<String, String> seen = new HashMap<>();
    for (MeshConfig.Endpoint e : s.endpoints()) {
      int p = e.ports().getOrDefault(port.name(), port.targetPort());
      String hostPort = EnvoyProtos.hostPort(e.address(), p);
      String other = seen.putIfAbsent(hostPort, e.path());
      if (other != null) {
        // grpc-js rejects an assignment that lists one address twice.
        set.error(e.path() + ".address=" + e.address() + ": port " + port.name() + " reaches "
            + hostPort + " as " + other + " does; list an address once and give it a weight"
            + " instead");
        continue;
      }
      locality.addLbEndpoints(LbEndpoint.newBuilder()
          .setEndpoint(Endpoint.newBuilder().setAddress(EnvoyProtos.address(e.address(), p)))
          .setLoadBalancingWeight(UInt32Value.of(e.weight())));
    }
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder()
        .setClusterName(name).addEndpoints(locality).build();
    set.check(cla, s.path() + ".endpoints");
    return cla;
  }

  /**
   * The routes of a service to {@code cluster}: its {@code routes} (prefix match, route-level
   * tracing), then a catch-all {@code /} unless one of them is.
   */
  List<Route> serviceRoutes(Service s, String cluster) {
    List<Route> out = new ArrayList<>();
    boolean catchAll = false;
    for (MeshConfig.Route r : s.routes()) {
      Route.Builder b = Route.newBuilder()
          .setName(r.name())
          .setMatch(RouteMatch.newBuilder().setPrefix(r.prefix()))
          .setRoute(RouteAction.newBuilder().setCluster(cluster));
      if (r.tracing() != null) {
        io.envoyproxy.envoy.config.route.v3.Tracing rt = TracingProtos.routeTracing(r.tracing());
        set.check(rt, r.tracing().path());
        b.setTracing(rt);
      }
      catchAll |= r.prefix().equals("/");
      out.add(b.build());
      set.referenceCluster(cluster, r.path());
    }
    if (!catchAll) {
      out.add(Route.newBuilder()
          .setName("default")
          .setMatch(RouteMatch.newBuilder().setPrefix("/"))
          .setRoute(RouteAction.newBuilder().setCluster(cluster))
          .build());
      set.referenceCluster(cluster, s.path());
    }
    return out;
  }
}
