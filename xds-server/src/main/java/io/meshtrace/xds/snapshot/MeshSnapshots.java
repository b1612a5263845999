package io.meshtrace.xds.snapshot;

import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds and checks the xDS snapshot of each node group from a {@link MeshConfig}.
 *
 * <p>A group key is {@code <role>/<service>} ({@code sidecar/productpage},
 * {@code grpc/reviews}, {@code sidecar/} for nodes whose service is not in the config). Versions
 * are content hashes, 16 hex chars per resource type ({@code 3f9a0c1d22e4b781}).
 */
public final class MeshSnapshots {

  private static final EnvoyRules RULES = new EnvoyRules(TracingProtos.anyTypes());

  /** Type names used in {@link Result#versions()}, in xDS push order. */
  public static final List<String> TYPES = List.of("clusters", "endpoints", "listeners",
      "routes");

  private MeshSnapshots() {}

  /**
   * One group's snapshot, or the problems that keep it from being pushed.
   *
   * @param snapshot the snapshot, null when {@code errors} is not empty
   * @param versions version per type name ({@link #TYPES})
   */
  public record Result(String group, Snapshot snapshot, Map<String, String> versions,
      List<String> errors) {
    /** Whether the snapshot may be pushed. */
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  /** The checker for Envoy's validate rules over every type this control plane sends. */
  public static EnvoyRules rules() {
    return RULES;
  }

  /**
   * The group keys a config defines: sidecar and grpc for every service, each role's default,
   * and the gateway of the shipped bootstrap ({@code gateway/meshtrace-gateway}). Gateways of
   * other node clusters get their group when they connect.
   */
  public static List<String> groups(MeshConfig config) {
    List<String> out = new ArrayList<>();
    for (NodeRole role : NodeRole.values()) {
      out.add(NodeGroups.key(role, ""));
      if (role == NodeRole.GATEWAY) {
        out.add(NodeGroups.key(role, NodeGroups.DEFAULT_GATEWAY_CLUSTER));
      } else {
        config.services().forEach(s -> out.add(NodeGroups.key(role, s.name())));
      }
    }
    return out;
  }

  /** Builds and checks one group's snapshot. */
  public static Result build(MeshConfig config, String group) {
    return build(config, group, RULES.memoizing());
  }

  /**
   * Builds one group with a checker shared by the groups of one build: groups share most of
   * their clusters, endpoints and filter configs, and each distinct one is checked once.
   */
  private static Result build(MeshConfig config, String group, EnvoyRules rules) {
    SnapshotBuilder b = new SnapshotBuilder(config, group, rules).build();
    if (!b.errors().isEmpty()) {
      return new Result(group, null, Map.of(), b.errors());
    }
    Snapshot s = VersionedSnapshot.create(b.clusters(), b.endpoints(), b.listeners(),
        b.routes());
    Map<String, String> versions = new LinkedHashMap<>();
    versions.put("clusters", s.clusters().version());
    versions.put("endpoints", s.endpoints().version());
    versions.put("listeners", s.listeners().version());
    versions.put("routes", s.routes().version());
    return new Result(group, s, Map.copyOf(versions), List.of());
  }

  /**
   * Builds every group of a config (plus {@code extraGroups}, such as groups of connected nodes
   * whose service left the config). Returns the results by group; {@link #errors} of the map
   * gathers the problems.
   */
  public static Map<String, Result> buildAll(MeshConfig config, Set<String> extraGroups) {
    Set<String> groups = new LinkedHashSet<>(groups(config));
    groups.addAll(extraGroups);
    Map<String, Result> out = new LinkedHashMap<>();
    EnvoyRules rules = RULES.memoizing();
    for (String g : groups) {
      out.put(g, build(config, g, rules));
    }
    return out;
  }

  /** All distinct problems of a set of results, in order. */
  public static List<String> errors(Map<String, Result> results) {
    Set<String> out = new LinkedHashSet<>();
    results.values().forEach(r -> out.addAll(r.errors()));
    return List.copyOf(out);
  }
}
