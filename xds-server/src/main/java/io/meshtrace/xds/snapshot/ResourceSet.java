package io.meshtrace.xds.snapshot;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The resources of one node group while they are built: each type sorted by name (so a type's
 * version does not depend on build order), each name built once, the cluster and route names
 * that other resources reference, and every problem found, named by the YAML path that produced
 * it ({@code services[1].endpoints[0].address=...: ...}).
 */
final class ResourceSet {

  private final String group;
  private final EnvoyRules rules;

  private final Map<String, Cluster> clusters = new TreeMap<>();
  private final Map<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
  private final Map<String, Listener> listeners = new TreeMap<>();
  private final Map<String, RouteConfiguration> routes = new TreeMap<>();
  /** Clusters referenced by routes and tracers, with the YAML path that referenced them. */
  private final Map<String, String> clusterRefs = new LinkedHashMap<>();
  /** Route configurations that listeners name over RDS. */
  private final Set<String> rdsRefs = new TreeSet<>();
  private final Set<String> errors = new LinkedHashSet<>();

  ResourceSet(String group, EnvoyRules rules) {
    this.group = group;
    this.rules = rules;
  }

  /** The group key ({@code sidecar/productpage}). */
  String group() {
    return group;
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

  Map<String, String> clusterRefs() {
    return clusterRefs;
  }

  Set<String> rdsRefs() {
    return rdsRefs;
  }

  boolean hasCluster(String name) {
    return clusters.containsKey(name);
  }

  void putCluster(Cluster c, String path) {
    if (clusters.putIfAbsent(c.getName(), c) != null) {
      error(path + ": cluster name " + c.getName() + " is built twice");
    }
  }

  /** The assignment of an EDS cluster (one per cluster; the cluster is put once). */
  void putEndpoints(ClusterLoadAssignment cla) {
    endpoints.put(cla.getClusterName(), cla);
  }

  void putListener(Listener l, String path) {
    if (listeners.putIfAbsent(l.getName(), l) != null) {
      error(path + ": listener name " + l.getName() + " is built twice");
    }
  }

  void putRoute(RouteConfiguration r, String path) {
    if (routes.putIfAbsent(r.getName(), r) != null) {
      error(path + ": route name " + r.getName() + " is built twice");
    }
  }

  /** Notes that the section at {@code path} sends traffic to {@code cluster}. */
  void referenceCluster(String cluster, String path) {
    clusterRefs.putIfAbsent(cluster, path);
  }

  /** Notes that a listener names {@code route} over RDS. */
  void referenceRoute(String route) {
    rdsRefs.add(route);
  }

  void error(String problem) {
    errors.add(problem);
  }

  /** Checks {@code m} against Envoy's validate rules, problems under {@code yamlPath}. */
  void check(Message m, String yamlPath) {
    for (String v : rules.check(m)) {
      errors.add(yamlPath + ": " + v);
    }
  }

  /** {@link #check(Message, String)} with the label built only when there is a problem. */
  void check(Message m, String kind, String name) {
    for (String v : rules.check(m)) {
      errors.add(kind + name + ": " + v);
    }
  }

  boolean ok() {
    return errors.isEmpty();
  }

  List<String> errors() {
    return List.copyOf(errors);
  }

  void clearErrors() {
    errors.clear();
  }
}
