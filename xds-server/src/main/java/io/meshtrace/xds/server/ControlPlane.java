package io.meshtrace.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import io.meshtrace.xds.snapshot.NodeGroups;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot cache and the config it was built from. {@link #apply} builds the snapshot of
 * every group, checks all of them and only then swaps them in; a config with any problem changes
 * nothing and the last good snapshots keep being served.
 */
public final class ControlPlane {

  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

  private final SimpleCache<String> cache = new SimpleCache<>(new NodeGroups());
  private final ProxyRegistry registry;
  private final Metrics metrics;
  private final ConfigWatcher watcher;
  private volatile MeshConfig config;
  private volatile Map<String, MeshSnapshots.Result> results = Map.of();

  /** Creates an empty control plane; nothing is served until the first {@link #apply}. */
  public ControlPlane(ProxyRegistry registry, Metrics metrics) {
    this.registry = registry;
    this.metrics = metrics;
    this.watcher = new StreamAwareWatcher(cache, registry, this);
    metrics.describe("meshtrace_xds_config_applied_total", "Configs swapped in");
    metrics.describe("meshtrace_xds_config_rejected_total",
        "Configs rejected (file reloads and admin writes); the last good one is kept");
    metrics.gauge("meshtrace_xds_snapshot_groups", "Node groups with a snapshot",
        () -> results.size());
  }

  /** What the discovery server watches. */
  public ConfigWatcher watcher() {
    return watcher;
  }

  /** The config currently served, or null before the first successful apply. */
  public MeshConfig config() {
    return config;
  }

  /** The proxy registry fed by the discovery server's callbacks. */
  public ProxyRegistry registry() {
    return registry;
  }

  /**
   * Snapshots built and checked for a config, ready to be swapped in by {@link #commit}.
   *
   * @param errors problems; when not empty the config must not be committed
   */
  public record Prepared(MeshConfig config, Map<String, MeshSnapshots.Result> results,
      List<String> errors) {}

  /** Builds and checks the snapshot of every group (also of connected nodes' groups). */
  public Prepared prepare(MeshConfig next) {
    Set<String> extra = new HashSet<>(cache.groups());
    extra.addAll(registry.connectedGroups());
    extra.addAll(results.keySet());
    Map<String, MeshSnapshots.Result> built = MeshSnapshots.buildAll(next, extra);
    List<String> errors = MeshSnapshots.errors(built);
    return new Prepared(next, built, errors);
  }

  /** Swaps in prepared snapshots; every connected node gets the new versions. */
  public synchronized void commit(Prepared prepared) {
    if (!prepared.errors().isEmpty()) {
      throw new IllegalArgumentException("config has errors: " + prepared.errors());
    }
    Map<String, MeshSnapshots.Result> next = new java.util.HashMap<>(prepared.results());
    // Groups that connected between prepare and commit.
    for (String g : results.keySet()) {
      if (!next.containsKey(g)) {
        MeshSnapshots.Result r = MeshSnapshots.build(prepared.config(), g);
        if (r.ok()) {
          next.put(g, r);
        }
      }
    }
    config = prepared.config();
    results = Map.copyOf(next);
    for (MeshSnapshots.Result r : next.values()) {
      cache.setSnapshot(r.group(), r.snapshot());
    }
    metrics.increment("meshtrace_xds_config_applied_total", "");
  }

  /**
   * Builds and checks every group's snapshot, and swaps them all in when all pass.
   *
   * @return the problems; empty when the config was applied
   */
  public List<String> apply(MeshConfig next) {
    Prepared p = prepare(next);
    if (p.errors().isEmpty()) {
      commit(p);
    }
    return p.errors();
  }

  /** Versions per type of one group, or an empty map when it has no snapshot. */
  public Map<String, String> versions(String group) {
    MeshSnapshots.Result r = results.get(group);
    return r == null ? Map.of() : r.versions();
  }

  /** All groups with their versions. */
  public Map<String, MeshSnapshots.Result> results() {
    return results;
  }

  /**
   * Gives a group that appeared after the last apply (a node of a service not in the config)
   * its snapshot.
   */
  synchronized void ensureGroup(String group) {
    if (config == null || results.containsKey(group)) {
      return;
    }
    MeshSnapshots.Result r = MeshSnapshots.build(config, group);
    if (!r.ok()) {
      LOG.error("no snapshot for group {}: {}", group, r.errors());
      return;
    }
    Map<String, MeshSnapshots.Result> next = new java.util.HashMap<>(results);
    next.put(group, r);
    results = Map.copyOf(next);
    cache.setSnapshot(group, r.snapshot());
  }
}
