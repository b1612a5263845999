package io.meshtrace.xds.server;

import io.meshtrace.xds.config.AdsLimits;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.Redaction;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot cache and the config it was built from. {@link #apply} builds and checks the
 * snapshot of every group the config defines and of every group in use, and only then swaps
 * them in; a config with any problem changes nothing and the last good snapshots keep being
 * served.
 *
 * <p>A group's snapshot lives while a stream of that group is open: the first stream of a group
 * has it built, the last one to end frees it, and a config change rebuilds only the groups in
 * use (the others are built to be checked, then dropped). Groups of services the config does not
 * name are bounded by {@link AdsLimits#maxUnconfiguredGroups}.
 */
public final class ControlPlane {

  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

  private final GroupCache cache = new GroupCache();
  private final ProxyRegistry registry;
  private final Metrics metrics;
  private volatile AdsLimits limits;
  private final ConfigWatcher watcher;
  private final GroupLeases leases = new Leases();
  private final BoundedLog groupLog = new BoundedLog(LOG, 20, 60);
  private final List<Consumer<MeshConfig>> appliedListeners = new CopyOnWriteArrayList<>();

  private volatile MeshConfig config;
  /** The groups {@link #config} defines. */
  private volatile Set<GroupKey> configured = Set.of();
  /** Streams per group in use; guarded by this. */
  private final Map<GroupKey, Integer> inUse = new HashMap<>();
  /** Snapshots in the cache: those of the groups in use. */
  private volatile Map<GroupKey, MeshSnapshots.Result> served = Map.of();
  /** Versions of every group checked with the current config and of every group in use. */
  private volatile Map<GroupKey, Map<String, String>> versions = Map.of();

  /** Creates an empty control plane with the default limits. */
  public ControlPlane(ProxyRegistry registry, Metrics metrics) {
    this(registry, metrics, AdsLimits.DEFAULTS);
  }

  /** Creates an empty control plane; nothing is served until the first {@link #apply}. */
  public ControlPlane(ProxyRegistry registry, Metrics metrics, AdsLimits limits) {
    this.registry = registry;
    this.metrics = metrics;
    this.limits = limits;
    this.watcher = new StreamAwareWatcher(cache);
    metrics.describe("meshtrace_xds_config_applied_total", "Configs swapped in");
    metrics.describe("meshtrace_xds_config_rejected_total",
        "Configs rejected (file reloads and admin writes); the last good one is kept");
    metrics.gauge("meshtrace_xds_snapshot_groups", "Node groups in use, each with a snapshot",
        () -> served.size());
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

  /** The limits every stream is held to. */
  public AdsLimits limits() {
    return limits;
  }

  /**
   * Holds streams to {@code next} (a file's {@code server.limits}, known once the first config
   * is read). Call it before the discovery server starts: its stream guard reads them then.
   */
  public void limits(AdsLimits next) {
    limits = Objects.requireNonNull(next, "next");
  }

  /**
   * Calls {@code listener} with every config swapped in from now on, in the order they are
   * swapped in, on the thread that swapped it (so it must be quick and must not block); a
   * listener that throws is logged and the others are still called. Nothing is called for the
   * config already served: read {@link #config()} after adding the listener.
   */
  public void onApplied(Consumer<MeshConfig> listener) {
    appliedListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  Metrics metrics() {
    return metrics;
  }

  GroupLeases leases() {
    return leases;
  }

  /**
   * Snapshots built and checked for a config, ready to be swapped in by {@link #commit}.
   *
   * @param results snapshots of the groups in use when it was prepared
   * @param versions versions of every group checked
   * @param errors problems; when not empty the config must not be committed
   */
  public record Prepared(MeshConfig config, Map<GroupKey, MeshSnapshots.Result> results,
      Map<GroupKey, Map<String, String>> versions, List<String> errors) {}

  /** Builds and checks the snapshot of every group the config defines and every group in use. */
  public Prepared prepare(MeshConfig next) {
    Set<GroupKey> keep;
    synchronized (this) {
      keep = Set.copyOf(inUse.keySet());
    }
    MeshSnapshots.Checked checked = MeshSnapshots.check(next, keep);
    return new Prepared(next, checked.kept(), checked.versions(), checked.errors());
  }

  /** Swaps in prepared snapshots; every connected node gets the new versions. */
  public synchronized void commit(Prepared prepared) {
    if (!prepared.errors().isEmpty()) {
      throw new IllegalArgumentException("config has errors: " + prepared.errors());
    }
    Map<GroupKey, MeshSnapshots.Result> next = new HashMap<>();
    Map<GroupKey, Map<String, String>> nextVersions = new HashMap<>(prepared.versions());
    for (GroupKey g : inUse.keySet()) {
      MeshSnapshots.Result r = prepared.results().get(g);
      if (r == null) {
        // Its first stream connected between prepare and commit.
        r = MeshSnapshots.build(prepared.config(), g);
      }
      if (r.ok()) {
        next.put(g, r);
        nextVersions.put(g, r.versions());
      } else {
        groupLog.logger().error("no snapshot for group {}: {}", g, r.errors());
      }
    }
    config = prepared.config();
    registry.redact(Redaction.of(config));
    configured = Set.copyOf(MeshSnapshots.groups(prepared.config()));
    served = Map.copyOf(next);
    versions = Map.copyOf(nextVersions);
    for (MeshSnapshots.Result r : next.values()) {
      cache.setSnapshot(r.group(), r.snapshot());
    }
    metrics.increment("meshtrace_xds_config_applied_total", "");
    for (Consumer<MeshConfig> listener : appliedListeners) {
      try {
        listener.accept(config);
      } catch (RuntimeException e) {
        LOG.error("a listener of applied configs failed; the config is served all the same", e);
      }
    }
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

  /**
   * Versions per type of one group, or an empty map when the config does not define it and no
   * node of it is connected.
   */
  public Map<String, String> versions(GroupKey group) {
    return versions.getOrDefault(group, Map.of());
  }

  /** {@link #versions(GroupKey)} of a group in its printed form ({@code sidecar/productpage}). */
  public Map<String, String> versions(String group) {
    return versions(GroupKey.parse(group));
  }

  /** Versions of every group, by the group's printed form, sorted: for the admin API. */
  public Map<String, Map<String, String>> versionsByGroup() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    versions.forEach((g, v) -> out.put(g.toString(), new TreeMap<>(v)));
    return out;
  }

  /** Groups in use, each with its snapshot. */
  public Map<GroupKey, MeshSnapshots.Result> served() {
    return served;
  }

  /** Reference counts of the groups in use; a group's snapshot is built and freed here. */
  private final class Leases implements GroupLeases {

    @Override
    public boolean acquire(GroupKey group) {
      synchronized (ControlPlane.this) {
        Integer streams = inUse.get(group);
        if (streams != null) {
          inUse.put(group, streams + 1);
          return true;
        }
        if (!configured.contains(group) && unconfiguredInUse() >= limits.maxUnconfiguredGroups()) {
          return false;
        }
        MeshConfig c = config;
        if (c == null) {
          inUse.put(group, 1);
          return true;
        }
        // Built before it is counted: a build that throws leaves nothing behind.
        MeshSnapshots.Result r = MeshSnapshots.build(c, group);
        inUse.put(group, 1);
        if (!r.ok()) {
          groupLog.warn("no snapshot for group {}: {}", BoundedLog.clip(group.toString(),
              BoundedLog.ID_CHARS), BoundedLog.clip(r.errors().toString(), BoundedLog.TEXT_CHARS));
          return true;
        }
        Map<GroupKey, MeshSnapshots.Result> next = new HashMap<>(served);
        next.put(group, r);
        served = Map.copyOf(next);
        Map<GroupKey, Map<String, String>> v = new LinkedHashMap<>(versions);
        v.put(group, r.versions());
        versions = Map.copyOf(v);
        cache.setSnapshot(group, r.snapshot());
        return true;
      }
    }

    @Override
    public void release(GroupKey group) {
      synchronized (ControlPlane.this) {
        Integer streams = inUse.get(group);
        if (streams == null) {
          return;
        }
        if (streams > 1) {
          inUse.put(group, streams - 1);
          return;
        }
        inUse.remove(group);
        if (served.containsKey(group)) {
          Map<GroupKey, MeshSnapshots.Result> next = new HashMap<>(served);
          next.remove(group);
          served = Map.copyOf(next);
        }
        if (!configured.contains(group) && versions.containsKey(group)) {
          Map<GroupKey, Map<String, String>> v = new HashMap<>(versions);
          v.remove(group);
          versions = Map.copyOf(v);
        }
        if (!cache.clearSnapshot(group) && LOG.isDebugEnabled()) {
          LOG.debug("group {} freed while the cache still had watches on it", group);
        }
      }
    }

    private int unconfiguredInUse() {
      int n = 0;
      for (GroupKey g : inUse.keySet()) {
        if (!configured.contains(g)) {
          n++;
        }
      }
      return n;
    }
  }
}
