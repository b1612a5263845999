package io.meshtrace.xds.snapshot;

import com.google.common.net.InetAddresses;
import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.RequestIDExtension;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Service;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the whole snapshot of one node group, then checks it: our semantic checks (references,
 * unique names and domains, EDS addresses) and Envoy's validate rules, each problem named by the
 * YAML path that produced it.
 */
final class SnapshotBuilder {

  static final String INBOUND_LISTENER = "virtualInbound";
  static final String OUTBOUND_LISTENER = "virtualOutbound";
  static final String OUTBOUND_ROUTE = "outbound";
  private static final com.google.protobuf.Duration CONNECT_TIMEOUT =
      com.google.protobuf.Duration.newBuilder().setSeconds(1).build();
  private static final String HTTP_PROTOCOL_OPTIONS =
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private final MeshConfig config;
  private final String group;
  private final NodeRole role;
  private final String serviceName;
  private final Service self;
  private final EnvoyRules rules;

  private final Map<String, Cluster> clusters = new TreeMap<>();
  private final Map<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
  private final Map<String, Listener> listeners = new TreeMap<>();
  private final Map<String, RouteConfiguration> routes = new TreeMap<>();
  /** Clusters referenced by routes and tracers, with the YAML path that referenced them. */
  private final Map<String, String> clusterRefs = new LinkedHashMap<>();
  private final Set<String> rdsRefs = new java.util.TreeSet<>();
  private final Set<String> checkedProviders = new LinkedHashSet<>();
  private final Set<String> errors = new LinkedHashSet<>();

  SnapshotBuilder(MeshConfig config, String group, EnvoyRules rules) {
    this.config = config;
    this.group = group;
    this.role = NodeGroups.role(group);
    String service = NodeGroups.service(group);
    this.self = config.service(service);
    this.serviceName = service.isEmpty() ? "unknown" : service;
    this.rules = rules;
  }

  List<String> errors() {
    return List.copyOf(errors);
  }

  Map<String, Cluster> clusters() {
    return clusters;
  }

  Map<String, ClusterLoadAssignment> endpoints() {
    return endpoints;
  }

  Map<String, Listener> listeners() {
    return listeners;
  }

  Map<String, RouteConfiguration> routes() {
    return routes;
  }

  /** Builds every resource of the group and checks it. */
  SnapshotBuilder build() {
    switch (role) {
      case GRPC:
        proxylessGrpc();
        break;
      case SIDECAR:
      default:
        sidecar();
        break;
    }
    referencesExist();
    consistent();
    if (errors.isEmpty()) {
      // Whole resources once more: catches what the per-section checks cannot attribute.
      clusters.values().forEach(r -> check(r, "cluster " + r.getName()));
      endpoints.values().forEach(r -> check(r, "endpoints " + r.getClusterName()));
      listeners.values().forEach(r -> check(r, "listener " + r.getName()));
      routes.values().forEach(r -> check(r, "route " + r.getName()));
    }
    return this;
  }

  /**
   * What {@code Snapshot.ensureConsistent()} checks, done here because java-control-plane finds
   * RDS references only under the deprecated filter name {@code envoy.http_connection_manager}:
   * every EDS cluster has its endpoints, every RDS name its route configuration, and nothing is
   * left over.
   */
  private void consistent() {
    Set<String> edsRefs = new LinkedHashSet<>();
    for (Cluster c : clusters.values()) {
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        edsRefs.add(c.getEdsClusterConfig().getServiceName().isEmpty() ? c.getName()
            : c.getEdsClusterConfig().getServiceName());
      }
    }
    if (!edsRefs.equals(endpoints.keySet())) {
      errors.add("snapshot " + group + ": EDS clusters " + edsRefs
          + " do not match endpoints " + endpoints.keySet());
    }
    if (!rdsRefs.equals(routes.keySet())) {
      errors.add("snapshot " + group + ": RDS references " + rdsRefs
          + " do not match route configurations " + routes.keySet());
    }
  }

  // ------------------------------------------------------------- sidecar

  private void sidecar() {
    if (self != null) {
      inbound(self);
    }
    List<Service> deps = dependencies();
    RouteConfiguration.Builder rc = RouteConfiguration.newBuilder().setName(OUTBOUND_ROUTE);
    Map<String, String> domains = new HashMap<>();
    for (Service d : deps) {
      for (int i = 0; i < d.ports().size(); i++) {
        Port port = d.ports().get(i);
        String cluster = outboundCluster(d, port);
        edsCluster(d, port, cluster, true);
        // A set: Envoy rejects a virtual host that lists one domain twice (hosts: [name]).
        Set<String> names = new LinkedHashSet<>();
        names.add(d.name() + ":" + port.number());
        d.hosts().forEach(h -> names.add(h + ":" + port.number()));
        if (i == 0) {
          names.add(d.name());
          names.addAll(d.hosts());
        }
        for (String domain : names) {
          String other = domains.putIfAbsent(domain, d.path());
          if (other != null && !other.equals(d.path())) {
            errors.add(d.path() + ".hosts=" + domain + ": host already used by " + other);
          }
        }
        rc.addVirtualHosts(VirtualHost.newBuilder()
            .setName(d.name() + ":" + port.number())
            .addAllDomains(names)
            .addAllRoutes(serviceRoutes(d, cluster)));
      }
    }
    // Requests for hosts outside the mesh get a 404 from Envoy itself; no passthrough here.
    putRoute(rc.build(), "services");

    EffectiveTracing t = EffectiveTracing.resolve(config, self == null ? "" : serviceName, true);
    HttpConnectionManager hcm = hcm("outbound", t)
        .setRds(Rds.newBuilder().setConfigSource(ads()).setRouteConfigName(OUTBOUND_ROUTE))
        .build();
    rdsRefs.add(OUTBOUND_ROUTE);
    putListener(Listener.newBuilder()
        .setName(OUTBOUND_LISTENER)
        .setAddress(address("0.0.0.0", config.sidecar().outboundPort()))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addListenerFilters(originalDst())
        .addFilterChains(FilterChain.newBuilder().setName("outbound")
            .addFilters(hcmFilter(hcm)))
        .build(), "sidecar.outboundPort");
  }

  private void inbound(Service s) {
    EffectiveTracing t = EffectiveTracing.resolve(config, s.name(), false);
    Listener.Builder l = Listener.newBuilder()
        .setName(INBOUND_LISTENER)
        .setAddress(address("0.0.0.0", config.sidecar().inboundPort()))
        .setTrafficDirection(TrafficDirection.INBOUND)
        .addListenerFilters(originalDst());
    Set<Integer> targets = new LinkedHashSet<>();
    for (Port port : s.ports()) {
      if (!targets.add(port.targetPort())) {
        errors.add(port.path() + ".targetPort=" + port.targetPort()
            + ": two ports of one service cannot share a targetPort");
        continue;
      }
      String cluster = "inbound|" + port.targetPort() + "||" + s.name();
      Cluster.Builder c = Cluster.newBuilder()
          .setName(cluster)
          .setType(Cluster.DiscoveryType.STATIC)
          .setConnectTimeout(CONNECT_TIMEOUT)
          .setLoadAssignment(loadAssignment(cluster, "127.0.0.1", port.targetPort()));
      if (port.protocol().http2()) {
        http2(c);
      }
      putCluster(c.build(), port.path());
      HttpConnectionManager hcm = hcm("inbound_" + port.targetPort(), t)
          .setRouteConfig(RouteConfiguration.newBuilder()
              .setName("inbound|" + s.name() + "|" + port.number())
              .addVirtualHosts(VirtualHost.newBuilder()
                  .setName("inbound|" + s.name())
                  .addDomains("*")
                  .addAllRoutes(serviceRoutes(s, cluster))))
          .build();
      l.addFilterChains(FilterChain.newBuilder()
          .setName("inbound|" + port.targetPort())
          .setFilterChainMatch(FilterChainMatch.newBuilder()
              .setDestinationPort(UInt32Value.of(port.targetPort())))
          .addFilters(hcmFilter(hcm)));
    }
    putListener(l.build(), s.path());
  }

  // -------------------------------------------------------- proxyless gRPC

  private void proxylessGrpc() {
    for (Service d : dependencies()) {
      EffectiveTracing t = EffectiveTracing.resolve(config, self == null ? "" : serviceName,
          true);
      for (int i = 0; i < d.ports().size(); i++) {
        Port port = d.ports().get(i);
        String cluster = outboundCluster(d, port);
        edsCluster(d, port, cluster, false);
        // grpc-xds asks for the listener named by the target's authority:
        // xds:///reviews, xds:///reviews:9080, xds:///reviews.default.svc.cluster.local, ...
        Set<String> names = new LinkedHashSet<>();
        names.add(d.name() + ":" + port.number());
        d.hosts().forEach(h -> names.add(h + ":" + port.number()));
        if (i == 0) {
          names.add(d.name());
          names.addAll(d.hosts());
        }
        for (String name : names) {
          HttpConnectionManager hcm = hcm("grpc", t)
              .setRouteConfig(RouteConfiguration.newBuilder()
                  .setName("grpc|" + name)
                  .addVirtualHosts(VirtualHost.newBuilder()
                      .setName(name)
                      .addDomains("*")
                      .addAllRoutes(serviceRoutes(d, cluster))))
              .build();
          putListener(Listener.newBuilder()
              .setName(name)
              .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
              .build(), d.path());
        }
      }
    }
  }

  // ------------------------------------------------------------- pieces

  private List<Service> dependencies() {
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

  private static String outboundCluster(Service s, Port port) {
    return "outbound|" + port.number() + "||" + s.name();
  }

  private void edsCluster(Service s, Port port, String name, boolean http2Options) {
    if (clusters.containsKey(name)) {
      return;
    }
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ads()))
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (http2Options && port.protocol().http2()) {
      http2(c);
    }
    putCluster(c.build(), port.path());

    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
        // grpc-xds drops localities without a weight.
        .setLoadBalancingWeight(UInt32Value.of(1));
    for (MeshConfig.Endpoint e : s.endpoints()) {
      if (!InetAddresses.isInetAddress(e.address())) {
        errors.add(e.path() + ".address=" + e.address()
            + ": EDS endpoints must be IP addresses");
        continue;
      }
      int p = e.ports().getOrDefault(port.name(), port.targetPort());
      locality.addLbEndpoints(LbEndpoint.newBuilder()
          .setEndpoint(Endpoint.newBuilder().setAddress(address(e.address(), p)))
          .setLoadBalancingWeight(UInt32Value.of(e.weight())));
    }
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder()
        .setClusterName(name).addEndpoints(locality).build();
    check(cla, s.path() + ".endpoints");
    endpoints.put(name, cla);
  }

  private List<Route> serviceRoutes(Service s, String cluster) {
    List<Route> out = new ArrayList<>();
    boolean catchAll = false;
    for (MeshConfig.Route r : s.routes()) {
      Route.Builder b = Route.newBuilder()
          .setName(r.name())
          .setMatch(RouteMatch.newBuilder().setPrefix(r.prefix()))
          .setRoute(RouteAction.newBuilder().setCluster(cluster));
      if (r.tracing() != null) {
        io.envoyproxy.envoy.config.route.v3.Tracing rt = TracingProtos.routeTracing(r.tracing());
        check(rt, r.tracing().path());
        b.setTracing(rt);
      }
      catchAll |= r.prefix().equals("/");
      out.add(b.build());
      clusterRefs.putIfAbsent(cluster, r.path());
    }
    if (!catchAll) {
      out.add(Route.newBuilder()
          .setName("default")
          .setMatch(RouteMatch.newBuilder().setPrefix("/"))
          .setRoute(RouteAction.newBuilder().setCluster(cluster))
          .build());
      clusterRefs.putIfAbsent(cluster, s.path());
    }
    return out;
  }

  private HttpConnectionManager.Builder hcm(String statPrefix, EffectiveTracing t) {
    HttpConnectionManager.Builder b = HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix)
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .addHttpFilters(HttpFilter.newBuilder()
            .setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .setRequestIdExtension(RequestIDExtension.newBuilder().setTypedConfig(Any.pack(
            UuidRequestIdConfig.newBuilder()
                .setPackTraceReason(BoolValue.of(true))
                .setUseRequestIdForTraceSampling(BoolValue.of(t.useRequestIdForTraceSampling()))
                .build())));
    if (t.provider() != null) {
      providerOnce(t.provider());
      for (MeshConfig.CustomTag tag : t.customTags()) {
        check(TracingProtos.customTag(tag), tag.path());
      }
      HttpConnectionManager.Tracing tracing = TracingProtos.hcmTracing(t, serviceName);
      // Provider and tags were checked above under their own paths.
      check(tracing.toBuilder().clearProvider().clearCustomTags().build(),
          "tracing (" + String.join(", ", t.sources()) + ")");
      b.setTracing(tracing);
    }
    return b;
  }

  /** Checks a provider's tracer config once and adds its collector cluster. */
  private void providerOnce(MeshConfig.Provider p) {
    if (!checkedProviders.add(p.name())) {
      return;
    }
    check(TracingProtos.provider(p, serviceName), p.path());
    String name = TracingProtos.collectorCluster(p);
    boolean ip = InetAddresses.isInetAddress(p.host());
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setType(ip ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLoadAssignment(loadAssignment(name, p.host(), p.port()));
    if (p.http2()) {
      http2(c);
    }
    putCluster(c.build(), p.path());
    clusterRefs.putIfAbsent(name, p.path());
  }

  private static void http2(Cluster.Builder c) {
    c.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(
        HttpProtocolOptions.newBuilder()
            .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
            .build()));
  }

  private static ClusterLoadAssignment loadAssignment(String cluster, String host, int port) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(cluster)
        .addEndpoints(LocalityLbEndpoints.newBuilder()
            .addLbEndpoints(LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder().setAddress(address(host, port)))))
        .build();
  }

  private static Address address(String host, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
        .setAddress(host).setPortValue(port)).build();
  }

  private static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  private static ListenerFilter originalDst() {
    return ListenerFilter.newBuilder()
        .setName("envoy.filters.listener.original_dst")
        .setTypedConfig(Any.pack(OriginalDst.getDefaultInstance()))
        .build();
  }

  private static Filter hcmFilter(HttpConnectionManager hcm) {
    return Filter.newBuilder()
        .setName("envoy.filters.network.http_connection_manager")
        .setTypedConfig(Any.pack(hcm))
        .build();
  }

  private void putCluster(Cluster c, String path) {
    if (clusters.putIfAbsent(c.getName(), c) != null) {
      errors.add(path + ": cluster name " + c.getName() + " is built twice");
    }
  }

  private void putListener(Listener l, String path) {
    if (listeners.putIfAbsent(l.getName(), l) != null) {
      errors.add(path + ": listener name " + l.getName() + " is built twice");
    }
  }

  private void putRoute(RouteConfiguration r, String path) {
    if (routes.putIfAbsent(r.getName(), r) != null) {
      errors.add(path + ": route name " + r.getName() + " is built twice");
    }
  }

  private void referencesExist() {
    for (Map.Entry<String, String> ref : clusterRefs.entrySet()) {
      if (!clusters.containsKey(ref.getKey())) {
        errors.add(ref.getValue() + ": references cluster " + ref.getKey()
            + " which is not in the snapshot");
      }
    }
  }

  private void check(Message m, String yamlPath) {
    for (String v : rules.check(m)) {
      errors.add(yamlPath + ": " + v);
    }
  }
}
