package io.meshtrace.xds.snapshot;

import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Builds and checks the xDS snapshot of each node group ({@link GroupKey}) from a
 * {@link MeshConfig}. Versions are content hashes, 16 hex chars per resource type
 * ({@code 3f9a0c1d22e4b781}).
 */
public final class MeshSnapshots {

  private static final EnvoyRules RULES = new EnvoyRules(TracingProtos.anyTypes());
  /**
   * The checker of the last {@link #check} that finished, whose results the next one reuses
   * (results are a function of the message alone); none kept past this many results, so a huge
   * config does not keep its resources alive between builds.
   */
  private static final AtomicReference<EnvoyRules> LAST_CHECK = new AtomicReference<>();
  private static final int MAX_REMEMBERED = 50_000;

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
  public record Result(GroupKey group, VersionedSnapshot snapshot, Map<String, String> versions,
      List<String> errors) {
    /** Whether the snapshot may be pushed. */
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  /**
   * Every group of a config checked, and the snapshots of the groups asked to be kept.
   *
   * @param kept results of the groups asked for, by group
   * @param versions versions per type of every group that built without problems
   * @param errors all distinct problems, in order; the config must not be served when not empty
   */
  public record Checked(Map<GroupKey, Result> kept, Map<GroupKey, Map<String, String>> versions,
      List<String> errors) {}

  /** The checker for Envoy's validate rules over every type this control plane sends. */
  public static EnvoyRules rules() {
    return RULES;
  }

  /**
   * The groups a config defines: sidecar and grpc for every service, each role's default, and
   * the gateway of the shipped bootstrap ({@code gateway/meshtrace-gateway}). Nodes of other
   * services and gateways of other node clusters get their group when they connect.
   */
  public static List<GroupKey> groups(MeshConfig config) {
    List<GroupKey> out = new ArrayList<>();
    for (NodeRole role : NodeRole.values()) {
      out.add(new GroupKey(role, ""));
      if (role == NodeRole.GATEWAY) {
        out.add(new GroupKey(role, NodeGroups.DEFAULT_GATEWAY_CLUSTER));
      } else {
        config.services().forEach(s -> out.add(new GroupKey(role, s.name())));
      }
    }
    return out;
  }

  /** Whether the config defines this group (see {@link #groups}). */
  public static boolean defines(MeshConfig config, GroupKey group) {
    if (group.service().isEmpty()) {
      return true;
    }
    if (group.role() == NodeRole.GATEWAY) {
      return group.service().equals(NodeGroups.DEFAULT_GATEWAY_CLUSTER);
    }
    return config.service(group.service()) != null;
  }

  /** Builds and checks one group's snapshot. */
  public static Result build(MeshConfig config, GroupKey group) {
    return build(config, group, RULES.memoizing());
  }

  /** Builds one group named in its printed form ({@code sidecar/productpage}), for tools. */
  public static Result build(MeshConfig config, String group) {
    return build(config, GroupKey.parse(group));
  }

  /**
   * Builds one group with a checker shared by the groups of one build: groups share most of
   * their clusters, endpoints and filter configs, and each distinct one is checked once.
   */
  private static Result build(MeshConfig config, GroupKey group, EnvoyRules rules) {
    SnapshotBuilder b = new SnapshotBuilder(config, group, rules).build();
    if (!b.errors().isEmpty()) {
      return new Result(group, null, Map.of(), b.errors());
    }
    VersionedSnapshot s = VersionedSnapshot.create(b.clusters(), b.endpoints(), b.listeners(),
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
  public static Map<GroupKey, Result> buildAll(MeshConfig config, Set<GroupKey> extraGroups) {
    Set<GroupKey> groups = new LinkedHashSet<>(groups(config));
    groups.addAll(extraGroups);
    Map<GroupKey, Result> out = new LinkedHashMap<>();
    EnvoyRules rules = RULES.memoizing();
    for (GroupKey g : groups) {
      out.put(g, build(config, g, rules));
    }
    return out;
  }

  /**
   * Builds and checks every group the config defines and every group in {@code keep}, and keeps
   * only the snapshots of {@code keep}: a group nobody uses is built to be checked, then
   * dropped, so memory follows the groups in use, not the config's size.
   */
  public static Checked check(MeshConfig config, Set<GroupKey> keep) {
    Set<GroupKey> groups = new LinkedHashSet<>(groups(config));
    groups.addAll(keep);
    Map<GroupKey, Result> kept = new LinkedHashMap<>();
    Map<GroupKey, Map<String, String>> versions = new LinkedHashMap<>();
    Set<String> errors = new LinkedHashSet<>();
    EnvoyRules rules = RULES.memoizing(LAST_CHECK.get());
    List<GroupKey> order = new ArrayList<>(groups);
    Result[] built = GroupBuilds.buildAll(order.size(), i -> build(config, order.get(i), rules));
    for (int i = 0; i < built.length; i++) {
      GroupKey g = order.get(i);
      Result r = built[i];
      errors.addAll(r.errors());
      if (r.ok()) {
        versions.put(g, r.versions());
      }
      if (keep.contains(g)) {
        kept.put(g, r);
      }
    }
    LAST_CHECK.set(rules.remembered() <= MAX_REMEMBERED ? rules : null);
    return new Checked(kept, versions, List.copyOf(errors));
  }

  /** All distinct problems of a set of results, in order. */
  public static List<String> errors(Map<GroupKey, Result> results) {
    Set<String> out = new LinkedHashSet<>();
    results.values().forEach(r -> out.addAll(r.errors()));
    return List.copyOf(out);
  }
}
