package io.meshtrace.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Service;

/**
 * The resources of an ingress gateway Envoy. Without header repair: one listener whose HCM
 * traces and routes to the services. With it, two stages (Envoy's HCM starts its span before
 * any HTTP filter runs): {@code edge} (HCM without tracing: ext_proc, then the router to
 * {@code internal_tracing}) and the internal listener {@code tracing} (HCM with tracing, routes
 * to the services).
 */
final class GatewayBuilder {

  /** Gateway without header repair: its one listener. */
  static final String GATEWAY_LISTENER = "gateway";
  /** Gateway with header repair: the edge listener (ext_proc, no tracing). */
  static final String EDGE_LISTENER = "edge";
  /** Gateway with header repair: the internal listener that traces. */
  static final String TRACING_LISTENER = "tracing";
  /** Cluster from the edge listener to the internal listener. */
  static final String INTERNAL_CLUSTER = "internal_tracing";
  /** Span tag carrying ext-proc's marker header. */
  static final String REPAIR_TAG = "meshtrace.repair";

  private final MeshConfig config;
  private final String serviceName;
  private final ResourceSet set;
  private final ServiceResources services;
  private final ConnectionManagers hcms;

  /** @param serviceName the gateway's name (its node cluster), the tracer's service name */
  GatewayBuilder(MeshConfig config, Service self, String serviceName, ResourceSet set) {
    this.config = config;
    this.serviceName = serviceName;
    this.set = set;
    this.services = new ServiceResources(config, self, set, true);
    this.hcms = new ConnectionManagers(serviceName, set);
  }

  void build() {
    MeshConfig.Gateway gw = config.gateway();
    EffectiveTracing t = EffectiveTracing.resolve(config, serviceName, true);
    RouteConfiguration routes = serviceRoutes(gw);
    Address edgeAddress = EnvoyProtos.address(gw.address(), gw.port());
    MeshConfig.HeaderRepair repair = gw.headerRepair();
    if (!repair.enabled()) {
      set.putListener(Listener.newBuilder()
          .setName(GATEWAY_LISTENER)
          .setAddress(edgeAddress)
          .setTrafficDirection(TrafficDirection.OUTBOUND)
          .addFilterChains(FilterChain.newBuilder().setName(GATEWAY_LISTENER)
              .addFilters(EnvoyProtos.hcmFilter(hcms.traced(GATEWAY_LISTENER, t)
                  .setUseRemoteAddress(BoolValue.of(true))
                  .setRouteConfig(routes)
                  .build())))
          .build(), "gateway");
      return;
    }
    edge(repair, edgeAddress);

    HttpConnectionManager.Builder traced = hcms.traced("gateway", t).setRouteConfig(routes);
    if (traced.hasTracing() && repair.markerHeader() != null && traced.getTracing()
        .getCustomTagsList().stream().noneMatch(c -> c.getTag().equals(REPAIR_TAG))) {
      traced.getTracingBuilder().addCustomTags(CustomTag.newBuilder()
          .setTag(REPAIR_TAG)
          .setRequestHeader(CustomTag.Header.newBuilder()
              .setName(repair.markerHeader()).setDefaultValue("none")));
    }
    set.putListener(Listener.newBuilder()
        .setName(TRACING_LISTENER)
        .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
        // As the plain gateway's listener (and Istio's gateways): spans are egress spans.
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder().setName(TRACING_LISTENER)
            .addFilters(EnvoyProtos.hcmFilter(traced.build())))
        .build(), "gateway.headerRepair");

    set.putCluster(Cluster.newBuilder()
        .setName(INTERNAL_CLUSTER)
        // STATIC, Envoy's default type: its one endpoint is an internal address.
        .setConnectTimeout(EnvoyProtos.CONNECT_TIMEOUT)
        .setLoadAssignment(ClusterLoadAssignment.newBuilder()
            .setClusterName(INTERNAL_CLUSTER)
            .addEndpoints(LocalityLbEndpoints.newBuilder()
                .setLocality(EnvoyProtos.DEFAULT_LOCALITY)
                .addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                        .setEnvoyInternalAddress(EnvoyInternalAddress.newBuilder()
                            .setServerListenerName(TRACING_LISTENER)))))))
        .setTransportSocket(TransportSocket.newBuilder()
            .setName(EnvoyProtos.INTERNAL_UPSTREAM_SOCKET)
            .setTypedConfig(Any.pack(InternalUpstreamTransport.newBuilder()
                .setTransportSocket(TransportSocket.newBuilder()
                    .setName("envoy.transport_sockets.raw_buffer")
                    .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance())))
                .build())))
        .build(), "gateway.headerRepair");

    Cluster.Builder ext = EnvoyProtos.hostCluster(EnvoyProtos.EXT_PROC_CLUSTER,
        repair.extProcHost(), repair.extProcPort());
    if (ext.getType() == Cluster.DiscoveryType.STRICT_DNS) {
      ext.setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED);
    }
    EnvoyProtos.http2(ext);
    if (repair.tls() != null) {
      ext.setTransportSocket(UpstreamTlsSocket.socket(repair.tls(), repair.extProcHost()));
    }
    set.putCluster(ext.build(), "gateway.headerRepair.extProc");
  }

  /**
   * The edge listener: an HCM that does not trace, never rewrites a client's request id, runs
   * ext_proc and routes everything to the internal listener.
   */
  private void edge(MeshConfig.HeaderRepair repair, Address edgeAddress) {
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
            .setName(EnvoyProtos.EXT_PROC_FILTER)
            .setTypedConfig(Any.pack(EnvoyProtos.extProc(repair, GrpcService.newBuilder()
                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder()
                    .setClusterName(EnvoyProtos.EXT_PROC_CLUSTER))
                .build()))))
        .addHttpFilters(EnvoyProtos.router())
        .build();
    set.check(edge, "gateway.headerRepair");
    set.referenceCluster(INTERNAL_CLUSTER, "gateway.headerRepair");
    set.referenceCluster(EnvoyProtos.EXT_PROC_CLUSTER, "gateway.headerRepair.extProc");
    set.putListener(Listener.newBuilder()
        .setName(EDGE_LISTENER)
        .setAddress(edgeAddress)
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder().setName(EDGE_LISTENER)
            .addFilters(EnvoyProtos.hcmFilter(edge)))
        .build(), "gateway");
  }

  /** The gateway's routes to services: one virtual host with {@code gateway.hosts}. */
  private RouteConfiguration serviceRoutes(MeshConfig.Gateway gw) {
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
      String cluster = services.servicePortCluster(s, port);
      set.referenceCluster(cluster, r.path());
      vh.addRoutes(Route.newBuilder()
          .setName(r.service() + ":" + r.port() + r.prefix())
          .setMatch(RouteMatch.newBuilder().setPrefix(r.prefix()))
          .setRoute(RouteAction.newBuilder().setCluster(cluster)));
    }
    RouteConfiguration rc = RouteConfiguration.newBuilder().setName("gateway")
        .addVirtualHosts(vh).build();
    set.check(rc, "gateway.routes");
    return rc;
  }
}
