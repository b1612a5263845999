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
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
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
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.RequestIDExtension;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
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
  /** Gateway without header repair: its one listener. */
  static final String GATEWAY_LISTENER = "gateway";
  /** Gateway with header repair: the edge listener (ext_proc, no tracing). */
  static final String EDGE_LISTENER = "edge";
  /** Gateway with header repair: the internal listener that traces. */
  static final String TRACING_LISTENER = "tracing";
  /** Cluster from the edge listener to the internal listener. */
  static final String INTERNAL_CLUSTER = "internal_tracing";
  /** Cluster of the ext-proc service. */
  static final String EXT_PROC_CLUSTER = "ext_proc";
  static final String EXT_PROC_FILTER = "envoy.filters.http.ext_proc";
  static final String ROUTER_FILTER = "envoy.filters.http.router";
  /** Span tag carrying ext-proc's marker header. */
  static final String REPAIR_TAG = "meshtrace.repair";
  /**
   * {@code GoogleGrpc.channel_credentials_plugin} (repeated Any): newer than the v1.34 protos
   * this server is built on; grpc-xds reads it (field number from its descriptor) and needs a
   * credentials plugin to open the ext_proc channel.
   */
  static final int CHANNEL_CREDENTIALS_PLUGIN_FIELD = 9;
  static final String INSECURE_CREDENTIALS = "type.googleapis.com/"
      + "envoy.extensions.grpc_service.channel_credentials.insecure.v3.InsecureCredentials";
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
    this(config, GroupKey.parse(group), rules);
  }

  SnapshotBuilder(MeshConfig config, GroupKey group, EnvoyRules rules) {
    this.config = config;
    this.group = group.toString();
    this.role = group.role();
    String service = group.service();
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
      case GATEWAY:
        gateway();
        break;
      case SIDECAR:
      default:
        sidecar();
        break;
    }
    referencesExist();
    internalReferencesExist();
    consistent();
    if (errors.isEmpty()) {
      // Whole resources: what the per-section checks cannot attribute. The checker remembers
      // what it has seen in this build, so a resource (or filter config) that another group,
      // or a section check above, already checked is not walked again.
      for (Cluster r : clusters.values()) {
        check(r, "cluster ", r.getName());
      }
      for (ClusterLoadAssignment r : endpoints.values()) {
        check(r, "endpoints ", r.getClusterName());
      }
      for (Listener r : listeners.values()) {
        check(r, "listener ", r.getName());
      }
      for (RouteConfiguration r : routes.values()) {
        check(r, "route ", r.getName());
      }
    }
    return this;
  }

  /** Runs the reference checks again over the resources as they are now. */
  SnapshotBuilder recheckReferences() {
    errors.clear();
    referencesExist();
    internalReferencesExist();
    consistent();
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
        Set<String> names = authorities(d, port, i == 0);
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

  /**
   * The authorities a client may use for {@code port} of {@code d}: {@code name:port} and
   * {@code host:port} for every host, plus the bare names for the service's first port.
   */
  private static Set<String> authorities(Service d, Port port, boolean firstPort) {
    Set<String> names = new LinkedHashSet<>();
    names.add(d.name() + ":" + port.number());
    d.hosts().forEach(h -> names.add(h + ":" + port.number()));
    if (firstPort) {
      names.add(d.name());
      names.addAll(d.hosts());
    }
    return names;
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
        for (String name : authorities(d, port, i == 0)) {
          HttpConnectionManager.Builder hcm = hcm("grpc", t);
          MeshConfig.HeaderRepair repair = config.gateway().headerRepair();
          if (repair.enabled()) {
            // grpc-xds runs HTTP filters in order: repair before the call leaves the client.
            // Optional: a client without ext_proc support skips it instead of NACKing.
            hcm.addHttpFilters(0, HttpFilter.newBuilder()
                .setName(EXT_PROC_FILTER)
                .setIsOptional(true)
                .setTypedConfig(Any.pack(extProc(repair, googleGrpc(repair)))));
          }
          hcm.setRouteConfig(RouteConfiguration.newBuilder()
                  .setName("grpc|" + name)
                  .addVirtualHosts(VirtualHost.newBuilder()
                      .setName(name)
                      .addDomains("*")
                      .addAllRoutes(serviceRoutes(d, cluster))));
          putListener(Listener.newBuilder()
              .setName(name)
              .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm.build())))
              .build(), d.path());
        }
      }
    }
  }


  // ------------------------------------------------------------- gateway

  /**
   * The ingress gateway. Without header repair: one listener whose HCM traces and routes to the
   * services. With it, two stages (Envoy's HCM starts its span before any HTTP filter runs):
   * {@code edge} (HCM without tracing: ext_proc, then the router to {@code internal_tracing})
   * and the internal listener {@code tracing} (HCM with tracing, routes to the services).
   */
  private void gateway() {
    MeshConfig.Gateway gw = config.gateway();
    EffectiveTracing t = EffectiveTracing.resolve(config, serviceName, true);
    RouteConfiguration services = gatewayRoutes(gw);
    Address edgeAddress = address(gw.address(), gw.port());
    MeshConfig.HeaderRepair repair = gw.headerRepair();
    if (!repair.enabled()) {
      putListener(Listener.newBuilder()
          .setName(GATEWAY_LISTENER)
          .setAddress(edgeAddress)
          .setTrafficDirection(TrafficDirection.OUTBOUND)
          .addFilterChains(FilterChain.newBuilder().setName(GATEWAY_LISTENER)
              .addFilters(hcmFilter(hcm(GATEWAY_LISTENER, t)
                  .setUseRemoteAddress(BoolValue.of(true))
                  .setRouteConfig(services)
                  .build())))
          .build(), "gateway");
      return;
    }

    HttpConnectionManager edge = HttpConnectionManager.newBuilder()
        .setStatPrefix(EDGE_LISTENER)
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setUseRemoteAddress(BoolValue.of(true))
        // A client's x-request-id is never rewritten; ext-proc adds one when there is none
        // (and the internal listener's HCM does when ext-proc is down).
        .setPreserveExternalRequestId(true)
        .setGenerateRequestId(BoolValue.of(false))
        .setRouteConfig(RouteConfiguration.newBuilder()
            .setName(EDGE_LISTENER)
            .addVirtualHosts(VirtualHost.newBuilder()
                .setName("all")
                .addDomains("*")
                .addRoutes(Route.newBuilder()
                    .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                    .setRoute(RouteAction.newBuilder().setCluster(INTERNAL_CLUSTER)))))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(EXT_PROC_FILTER)
            .setTypedConfig(Any.pack(extProc(repair, GrpcService.newBuilder()
                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder()
                    .setClusterName(EXT_PROC_CLUSTER))
                .build()))))
        .addHttpFilters(router())
        .build();
    check(edge, "gateway.headerRepair");
    clusterRefs.putIfAbsent(INTERNAL_CLUSTER, "gateway.headerRepair");
    clusterRefs.putIfAbsent(EXT_PROC_CLUSTER, "gateway.headerRepair.extProc");
    putListener(Listener.newBuilder()
        .setName(EDGE_LISTENER)
        .setAddress(edgeAddress)
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder().setName(EDGE_LISTENER)
            .addFilters(hcmFilter(edge)))
        .build(), "gateway");

    HttpConnectionManager.Builder traced = hcm("gateway", t).setRouteConfig(services);
    if (traced.hasTracing() && repair.markerHeader() != null && traced.getTracing()
        .getCustomTagsList().stream().noneMatch(c -> c.getTag().equals(REPAIR_TAG))) {
      traced.getTracingBuilder().addCustomTags(io.envoyproxy.envoy.type.tracing.v3.CustomTag
          .newBuilder()
          .setTag(REPAIR_TAG)
          .setRequestHeader(io.envoyproxy.envoy.type.tracing.v3.CustomTag.Header.newBuilder()
              .setName(repair.markerHeader()).setDefaultValue("none")));
    }
    putListener(Listener.newBuilder()
        .setName(TRACING_LISTENER)
        .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
        // As the plain gateway's listener (and Istio's gateways): spans are egress spans.
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder().setName(TRACING_LISTENER)
            .addFilters(hcmFilter(traced.build())))
        .build(), "gateway.headerRepair");

    putCluster(Cluster.newBuilder()
        .setName(INTERNAL_CLUSTER)
        // STATIC, Envoy's default type: its one endpoint is an internal address.
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLoadAssignment(ClusterLoadAssignment.newBuilder()
            .setClusterName(INTERNAL_CLUSTER)
            .addEndpoints(LocalityLbEndpoints.newBuilder()
                .addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                        .setEnvoyInternalAddress(EnvoyInternalAddress.newBuilder()
                            .setServerListenerName(TRACING_LISTENER)))))))
        .setTransportSocket(TransportSocket.newBuilder()
            .setName("envoy.transport_sockets.internal_upstream")
            .setTypedConfig(Any.pack(InternalUpstreamTransport.newBuilder()
                .setTransportSocket(TransportSocket.newBuilder()
                    .setName("envoy.transport_sockets.raw_buffer")
                    .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance())))
                .build())))
        .build(), "gateway.headerRepair");

    boolean ip = InetAddresses.isInetAddress(repair.extProcHost());
    Cluster.Builder ext = Cluster.newBuilder()
        .setName(EXT_PROC_CLUSTER)
        .setType(ip ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLoadAssignment(loadAssignment(EXT_PROC_CLUSTER, repair.extProcHost(),
            repair.extProcPort()));
    if (!ip) {
      ext.setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED);
    }
    http2(ext);
    putCluster(ext.build(), "gateway.headerRepair.extProc");
  }

  /** The gateway's routes to services: one virtual host with {@code gateway.hosts}. */
  private RouteConfiguration gatewayRoutes(MeshConfig.Gateway gw) {
    VirtualHost.Builder vh = VirtualHost.newBuilder().setName("gateway")
        .addAllDomains(gw.hosts());
    for (MeshConfig.GatewayRoute r : gw.routes()) {
      Service s = config.service(r.service());
      Port port = null;
      for (Port p : s.ports()) {
        if (p.number() == r.port()) {
          port = p;
        }
      }
      String cluster = outboundCluster(s, port);
      edsCluster(s, port, cluster, true);
      clusterRefs.putIfAbsent(cluster, r.path());
      vh.addRoutes(Route.newBuilder()
          .setName(r.service() + ":" + r.port() + r.prefix())
          .setMatch(RouteMatch.newBuilder().setPrefix(r.prefix()))
          .setRoute(RouteAction.newBuilder().setCluster(cluster)));
    }
    RouteConfiguration rc = RouteConfiguration.newBuilder().setName("gateway")
        .addVirtualHosts(vh).build();
    check(rc, "gateway.routes");
    return rc;
  }

  /**
   * The ext_proc filter: request headers only (response headers SKIP, no bodies, no trailers),
   * {@code failure_mode_allow} and {@code message_timeout} from the config.
   */
  private static ExternalProcessor extProc(MeshConfig.HeaderRepair repair, GrpcService svc) {
    return ExternalProcessor.newBuilder()
        .setGrpcService(svc)
        .setFailureModeAllow(repair.failureModeAllow())
        .setMessageTimeout(TracingProtos.duration(repair.timeout()))
        .setProcessingMode(ProcessingMode.newBuilder()
            .setRequestHeaderMode(ProcessingMode.HeaderSendMode.SEND)
            .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SKIP)
            .setRequestTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
            .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
            .setRequestBodyMode(ProcessingMode.BodySendMode.NONE)
            .setResponseBodyMode(ProcessingMode.BodySendMode.NONE))
        .build();
  }

  /**
   * ext-proc as a proxyless gRPC client reaches it: a Google gRPC target with a scheme and
   * insecure channel credentials (grpc-xds has no Envoy clusters for side channels).
   */
  private static GrpcService googleGrpc(MeshConfig.HeaderRepair repair) {
    Any insecure = Any.newBuilder().setTypeUrl(INSECURE_CREDENTIALS).build();
    return GrpcService.newBuilder().setGoogleGrpc(GrpcService.GoogleGrpc.newBuilder()
            .setTargetUri("dns:///" + TracingProtos.hostPort(repair.extProcHost(),
                repair.extProcPort()))
            .setStatPrefix(EXT_PROC_CLUSTER)
            .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(CHANNEL_CREDENTIALS_PLUGIN_FIELD,
                    com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(insecure.toByteString()).build())
                .build()))
        .build();
  }

  private static HttpFilter router() {
    return HttpFilter.newBuilder()
        .setName(ROUTER_FILTER)
        .setTypedConfig(Any.pack(Router.getDefaultInstance()))
        .build();
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

  /**
   * The cluster of a service port. Endpoints that are IP addresses go out over EDS; endpoints
   * that are host names (Kubernetes Services) become a STRICT_DNS cluster for Envoy, or a
   * LOGICAL_DNS cluster with its one endpoint for grpc-xds (which has no STRICT_DNS).
   *
   * @param envoy whether the node is an Envoy (HTTP/2 protocol options for HTTP2/GRPC ports)
   */
  private void edsCluster(Service s, Port port, String name, boolean envoy) {
    if (clusters.containsKey(name)) {
      return;
    }
    int hostNames = 0;
    for (MeshConfig.Endpoint e : s.endpoints()) {
      hostNames += InetAddresses.isInetAddress(e.address()) ? 0 : 1;
    }
    if (hostNames > 0 && hostNames < s.endpoints().size()) {
      errors.add(s.path() + ".endpoints: mixes IP addresses and host names: use all IP"
          + " addresses (EDS) or all host names (DNS)");
      return;
    }
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (envoy && port.protocol().http2()) {
      http2(c);
    }
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
        // grpc-xds drops localities without a weight.
        .setLoadBalancingWeight(UInt32Value.of(1));
    for (MeshConfig.Endpoint e : s.endpoints()) {
      int p = e.ports().getOrDefault(port.name(), port.targetPort());
      locality.addLbEndpoints(LbEndpoint.newBuilder()
          .setEndpoint(Endpoint.newBuilder().setAddress(address(e.address(), p)))
          .setLoadBalancingWeight(UInt32Value.of(e.weight())));
    }
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder()
        .setClusterName(name).addEndpoints(locality).build();
    check(cla, s.path() + ".endpoints");
    if (hostNames == 0) {
      c.setType(Cluster.DiscoveryType.EDS)
          .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ads()));
      endpoints.put(name, cla);
    } else if (envoy) {
      c.setType(Cluster.DiscoveryType.STRICT_DNS)
          .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
          .setLoadAssignment(cla);
    } else if (hostNames > 1) {
      errors.add(s.path() + ".endpoints: proxyless gRPC resolves a host name endpoint through"
          + " LOGICAL_DNS, which takes exactly one endpoint; " + hostNames + " given");
      return;
    } else {
      c.setType(Cluster.DiscoveryType.LOGICAL_DNS).setLoadAssignment(cla);
    }
    putCluster(c.build(), port.path());
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
        .addHttpFilters(router())
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

  /**
   * Every {@code envoy_internal_address} of a cluster names a listener of this snapshot that is
   * an internal listener, and every internal listener is reached by a cluster.
   */
  private void internalReferencesExist() {
    Set<String> reached = new java.util.TreeSet<>();
    for (Cluster c : clusters.values()) {
      for (LocalityLbEndpoints l : c.getLoadAssignment().getEndpointsList()) {
        for (LbEndpoint e : l.getLbEndpointsList()) {
          if (!e.getEndpoint().getAddress().hasEnvoyInternalAddress()) {
            continue;
          }
          String name = e.getEndpoint().getAddress().getEnvoyInternalAddress()
              .getServerListenerName();
          reached.add(name);
          Listener target = listeners.get(name);
          if (target == null || !target.hasInternalListener()) {
            errors.add("snapshot " + group + ": cluster " + c.getName()
                + " reaches internal listener " + name + (target == null
                    ? " which is not in the snapshot" : " which is not an internal listener"));
          }
          if (!c.getTransportSocket().getName()
              .equals("envoy.transport_sockets.internal_upstream")) {
            errors.add("snapshot " + group + ": cluster " + c.getName()
                + " reaches an internal listener without the internal_upstream transport socket");
          }
        }
      }
    }
    for (Listener l : listeners.values()) {
      if (l.hasInternalListener() && !reached.contains(l.getName())) {
        errors.add("snapshot " + group + ": internal listener " + l.getName()
            + " is reached by no cluster");
      }
    }
  }

  private void check(Message m, String yamlPath) {
    for (String v : rules.check(m)) {
      errors.add(yamlPath + ": " + v);
    }
  }

  /** {@link #check(Message, String)} with the label built only when there is a problem. */
  private void check(Message m, String kind, String name) {
    for (String v : rules.check(m)) {
      errors.add(kind + name + ": " + v);
    }
  }
}
