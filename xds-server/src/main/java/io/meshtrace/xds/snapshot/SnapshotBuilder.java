package io.meshtrace.xds.snapshot;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.MeshConfig.Service;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.List;
import java.util.Map;

/**
 * Builds the whole snapshot of one node group, then checks it: the role's builder
 * ({@link SidecarBuilder}, {@link GatewayBuilder}, {@link ProxylessGrpcBuilder}) fills a
 * {@link ResourceSet}, checking each section against Envoy's validate rules under the YAML path
 * that produced it; then the {@link ConsistencyChecks} across resources, then Envoy's rules on
 * each whole resource.
 */
final class SnapshotBuilder {

  private final MeshConfig config;
  private final NodeRole role;
  private final String serviceName;
  private final Service self;
  private final ResourceSet set;

  SnapshotBuilder(MeshConfig config, String group, EnvoyRules rules) {
    this(config, GroupKey.parse(group), rules);
  }

  SnapshotBuilder(MeshConfig config, GroupKey group, EnvoyRules rules) {
    this.config = config;
    this.role = group.role();
    String service = group.service();
    this.self = config.service(service);
    this.serviceName = service.isEmpty() ? "unknown" : service;
    this.set = new ResourceSet(group.toString(), rules);
  }

  List<String> errors() {
    return set.errors();
  }

  Map<String, Cluster> clusters() {
    return set.clusters();
  }

  Map<String, ClusterLoadAssignment> endpoints() {
    return set.endpoints();
  }

  Map<String, Listener> listeners() {
    return set.listeners();
  }

  Map<String, RouteConfiguration> routes() {
    return set.routes();
  }

  /** Builds every resource of the group and checks it. */
  SnapshotBuilder build() {
    switch (role) {
      case GRPC:
        new ProxylessGrpcBuilder(config, self, serviceName, set).build();
        break;
      case GATEWAY:
        new GatewayBuilder(config, self, serviceName, set).build();
        break;
      case SIDECAR:
      default:
        new SidecarBuilder(config, self, serviceName, set).build();
        break;
    }
    ConsistencyChecks.run(set);
    if (set.ok()) {
      // Whole resources: what the per-section checks cannot attribute. The checker remembers
      // what it has seen in this build, so a resource (or filter config) that another group,
      // or a section check above, already checked is not walked again.
      for (Cluster r : set.clusters().values()) {
        set.check(r, "cluster ", r.getName());
      }
      for (ClusterLoadAssignment r : set.endpoints().values()) {
        set.check(r, "endpoints ", r.getClusterName());
      }
      for (Listener r : set.listeners().values()) {
        set.check(r, "listener ", r.getName());
      }
      for (RouteConfiguration r : set.routes().values()) {
        set.check(r, "route ", r.getName());
      }
    }
    return this;
  }

  /** Runs the consistency checks again over the resources as they are now. */
  SnapshotBuilder recheckReferences() {
    set.clearErrors();
    ConsistencyChecks.run(set);
    return this;
  }
}
