package io.meshtrace.xds.snapshot;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Service;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The resources of an Envoy sidecar, as Istio shapes them: an inbound catch-all listener with
 * one filter chain per port of its own service (traced as the server side, routed to the
 * workload on 127.0.0.1), and an outbound catch-all listener (traced as the client side) whose
 * routes come over RDS, one virtual host per port of every service it depends on.
 */
final class SidecarBuilder {

  static final String INBOUND_LISTENER = "virtualInbound";
  static final String OUTBOUND_LISTENER = "virtualOutbound";
  static final String OUTBOUND_ROUTE = "outbound";

  private final MeshConfig config;
  private final Service self;
  private final String serviceName;
  private final ResourceSet set;
  private final ServiceResources services;
  private final ConnectionManagers hcms;

  /** @param self the sidecar's service, null when it is not in the config (outbound only) */
  SidecarBuilder(MeshConfig config, Service self, String serviceName, ResourceSet set) {
    this.config = config;
    this.self = self;
    this.serviceName = serviceName;
    this.set = set;
    this.services = new ServiceResources(config, self, set, true);
    this.hcms = new ConnectionManagers(serviceName, set);
  }

  void build() {
    if (self != null) {
      inbound(self);
    }
    RouteConfiguration.Builder rc = RouteConfiguration.newBuilder().setName(OUTBOUND_ROUTE);
    Map<String, String> domains = new HashMap<>();
    for (Service d : services.dependencies()) {
      for (int i = 0; i < d.ports().size(); i++) {
        Port port = d.ports().get(i);
        String cluster = services.servicePortCluster(d, port);
        // A set: Envoy rejects a virtual host that lists one domain twice (hosts: [name]).
        Set<String> names = ServiceResources.authorities(d, port, i == 0);
        for (String domain : names) {
          String other = domains.putIfAbsent(domain, d.path());
          if (other != null && !other.equals(d.path())) {
            set.error(d.path() + ".hosts=" + domain + ": host already used by " + other);
          }
        }
        rc.addVirtualHosts(VirtualHost.newBuilder()
            .setName(d.name() + ":" + port.number())
            .addAllDomains(names)
            .addAllRoutes(services.serviceRoutes(d, cluster)));
      }
    }
    // Requests for hosts outside the mesh get a 404 from Envoy itself; no passthrough here.
    set.putRoute(rc.build(), "services");

    EffectiveTracing t = EffectiveTracing.resolve(config, self == null ? "" : serviceName, true);
    HttpConnectionManager hcm = hcms.traced("outbound", t)
        .setRds(Rds.newBuilder().setConfigSource(EnvoyProtos.ads())
            .setRouteConfigName(OUTBOUND_ROUTE))
        .build();
    set.referenceRoute(OUTBOUND_ROUTE);
    set.putListener(Listener.newBuilder()
        .setName(OUTBOUND_LISTENER)
        .setAddress(EnvoyProtos.address("0.0.0.0", config.sidecar().outboundPort()))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addListenerFilters(EnvoyProtos.originalDst())
        .addFilterChains(FilterChain.newBuilder().setName("outbound")
            .addFilters(EnvoyProtos.hcmFilter(hcm)))
        .build(), "sidecar.outboundPort");
  }

  private void inbound(Service s) {
    EffectiveTracing t = EffectiveTracing.resolve(config, s.name(), false);
    Listener.Builder l = Listener.newBuilder()
        .setName(INBOUND_LISTENER)
        .setAddress(EnvoyProtos.address("0.0.0.0", config.sidecar().inboundPort()))
        .setTrafficDirection(TrafficDirection.INBOUND)
        .addListenerFilters(EnvoyProtos.originalDst());
    Set<Integer> targets = new LinkedHashSet<>();
    for (Port port : s.ports()) {
      if (!targets.add(port.targetPort())) {
        set.error(port.path() + ".targetPort=" + port.targetPort()
            + ": two ports of one service cannot share a targetPort");
        continue;
      }
      String cluster = "inbound|" + port.targetPort() + "||" + s.name();
      Cluster.Builder c = Cluster.newBuilder()
          .setName(cluster)
          .setType(Cluster.DiscoveryType.STATIC)
          .setConnectTimeout(EnvoyProtos.CONNECT_TIMEOUT)
          .setLoadAssignment(EnvoyProtos.loadAssignment(cluster, "127.0.0.1", port.targetPort()));
      if (port.protocol().http2()) {
        EnvoyProtos.http2(c);
      }
      set.putCluster(c.build(), port.path());
      HttpConnectionManager hcm = hcms.traced("inbound_" + port.targetPort(), t)
          .setRouteConfig(RouteConfiguration.newBuilder()
              .setName("inbound|" + s.name() + "|" + port.number())
              .addVirtualHosts(VirtualHost.newBuilder()
                  .setName("inbound|" + s.name())
                  .addDomains("*")
                  .addAllRoutes(services.serviceRoutes(s, cluster))))
          .build();
      l.addFilterChains(FilterChain.newBuilder()
          .setName("inbound|" + port.targetPort())
          .setFilterChainMatch(FilterChainMatch.newBuilder()
              .setDestinationPort(UInt32Value.of(port.targetPort())))
          .addFilters(EnvoyProtos.hcmFilter(hcm)));
    }
    set.putListener(l.build(), s.path());
  }
}
