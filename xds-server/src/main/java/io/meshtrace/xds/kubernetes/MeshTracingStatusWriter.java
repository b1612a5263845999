package io.meshtrace.xds.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@code status} of the {@code MeshTracing}, and only while this replica holds the
 * Kubernetes Lease (fabric8's leader election on a {@code coordination.k8s.io/v1} Lease): every
 * replica checks every spec and serves it on its own, one of them says so.
 *
 * <p>{@link #report} keeps only the newest report; a single writer thread writes it when this
 * replica leads, at most one request in flight. A write reads the resource, drops the report
 * when the resource moved on to another generation (the report for that one follows), skips
 * it when the status already says the same, and otherwise replaces the status subresource with
 * the resourceVersion it read: a writer that lost the lease a moment ago cannot overwrite what
 * the new leader wrote since. Failures retry with backoff (0.5 s doubling to 30 s). Losing the
 * lease stops the writes, not the serving; the replica then competes for the lease again.
 *
 * <pre>
 * status:
 *   observedGeneration: 4
 *   servedVersion: 5d0c2a9e41b7f380
 *   conditions:
 *   - type: Accepted
 *     status: "False"
 *     reason: Invalid
 *     message: "1 problem, still serving version 5d0c2a9e41b7f380: tracing[0].randomSamplingPercentage=140: must be between 0 and 100"
 *     observedGeneration: 4
 *     lastTransitionTime: "2026-12-02T10:15:00Z"
 * </pre>
 */
public final class MeshTracingStatusWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshTracingStatusWriter.class);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(500);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /**
   * The Lease and its timing (client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry).
   *
   * @param leaseName the Lease in the resource's namespace
   * @param identity this replica's holder identity (unique per process)
   */
  public record LeaseSettings(String leaseName, String identity, Duration leaseDuration,
      Duration renewDeadline, Duration retryPeriod) {
    public LeaseSettings {
      Objects.requireNonNull(leaseName, "leaseName");
      Objects.requireNonNull(identity, "identity");
      if (leaseDuration.compareTo(renewDeadline) <= 0
          || renewDeadline.toMillis() <= retryPeriod.toMillis() * 1.2) {
        throw new IllegalArgumentException("lease " + leaseDuration + ", renew deadline "
            + renewDeadline + ", retry " + retryPeriod
            + ": need lease > renew deadline > 1.2 x retry");
      }
      new MeshTracingRef("lease", leaseName); // a Lease name is a DNS-1123 subdomain
    }

    /** Lease {@code <name>-status} for {@code ref}, {@link #defaultIdentity()}, 15/10/2 s. */
    public static LeaseSettings defaults(MeshTracingRef ref) {
      return new LeaseSettings(ref.name() + "-status", defaultIdentity(), Duration.ofSeconds(15),
          Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    /** Same settings with other timing. */
    public LeaseSettings withTiming(Duration lease, Duration renew, Duration retry) {
      return new LeaseSettings(leaseName, identity, lease, renew, retry);
    }

    /** Same settings with another identity. */
    public LeaseSettings withIdentity(String id) {
      return new LeaseSettings(leaseName, id, leaseDuration, renewDeadline, retryPeriod);
    }
  }

  private final KubernetesClient client;
  private final MeshTracingRef ref;
  private final LeaseSettings lease;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private final AtomicReference<StatusReport> pending = new AtomicReference<>();
  private final AtomicLong writes = new AtomicLong();
  private volatile boolean leading;
  private volatile boolean closed;
  private volatile String leader;
  private CompletableFuture<?> election; // writer thread only
  private boolean drainScheduled; // guarded by this
  private Duration backoff = MIN_BACKOFF; // writer thread only
  private String lastFailure; // writer thread only

  public MeshTracingStatusWriter(KubernetesClient client, MeshTracingRef ref,
      LeaseSettings lease) {
    this(client, ref, lease, Clock.systemUTC());
  }

  MeshTracingStatusWriter(KubernetesClient client, MeshTracingRef ref, LeaseSettings lease,
      Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.ref = Objects.requireNonNull(ref, "ref");
    this.lease = Objects.requireNonNull(lease, "lease");
    this.clock = clock;
    ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "meshtrace-status-" + ref.name());
      t.setDaemon(true);
      return t;
    });
    e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // a retry in 30 s is no reason to wait
    this.executor = e;
  }

  /** {@code $HOSTNAME} (the pod name in Kubernetes) or the host name, plus a random suffix. */
  public static String defaultIdentity() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "xds-server";
      }
    }
    return host + "_" + UUID.randomUUID();
  }

  /** Starts competing for the lease. */
  public void start() {
    executor.execute(this::elect);
  }

  /** Records the newest report; it is written when (and as soon as) this replica leads. */
  public void report(StatusReport report) {
    pending.set(Objects.requireNonNull(report, "report"));
    scheduleDrain(0);
  }

  /** Whether this replica holds the lease now. */
  public boolean isLeader() {
    return leading;
  }

  /** Holder of the lease as last observed (this or another replica's identity), or null. */
  public String leader() {
    return leader;
  }

  /** This replica's identity in the lease. */
  public String identity() {
    return lease.identity();
  }

  /** Status writes this replica made (skipped and stale reports not counted). */
  public long writes() {
    return writes.get();
  }

  /** Gives the lease up (so another replica takes over at once) and stops writing. */
  @Override
  public void close() {
    closed = true;
    CompletableFuture<?> e;
    try {
      e = executor.submit(() -> election).get(5, TimeUnit.SECONDS);
    } catch (Exception ex) {
      e = null;
    }
    leading = false;
    if (e != null) {
      e.cancel(true); // releaseOnCancel: the lease is emptied for the next holder
    }
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ election

  private void elect() {
    if (closed) {
      return;
    }
    CompletableFuture<?> running = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
        .withName("meshtrace status of " + ref)
        .withLock(new LeaseLock(ref.namespace(), lease.leaseName(), lease.identity()))
        .withLeaseDuration(lease.leaseDuration())
        .withRenewDeadline(lease.renewDeadline())
        .withRetryPeriod(lease.retryPeriod())
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading,
            this::newLeader))
        .build()).build().start();
    election = running;
    running.whenComplete((v, t) -> {
      leading = false;
      if (!closed) {
        // Lost the lease (renewal failed) or the elector failed: compete again with a new one.
        executor.schedule(this::elect, lease.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
      }
    });
  }

  private void startedLeading() {
    leading = true;
    log.info("{}: {} holds lease {}: writing status", ref, lease.identity(), lease.leaseName());
    scheduleDrain(0);
  }

  private void stoppedLeading() {
    if (leading) {
      log.info("{}: {} lost lease {}: status writes stop, serving goes on", ref,
          lease.identity(), lease.leaseName());
    }
    leading = false;
  }

  private void newLeader(String id) {
    leader = id;
  }

  // ------------------------------------------------------------------ writes

  private synchronized void scheduleDrain(long delayMillis) {
    if (drainScheduled || closed) {
      return;
    }
    drainScheduled = true;
    executor.schedule(this::drain, delayMillis, TimeUnit.MILLISECONDS);
  }

  private void drain() {
    synchronized (this) {
      drainScheduled = false;
    }
    StatusReport r = pending.get();
    if (r == null || !leading || closed) {
      return; // startedLeading() schedules the next drain
    }
    try {
      Outcome o = write(r);
      if (o == Outcome.NOT_LEADING) {
        return; // kept for when this replica leads again
      }
      pending.compareAndSet(r, null);
      backoff = MIN_BACKOFF;
      lastFailure = null;
      if (o == Outcome.WRITTEN) {
        writes.incrementAndGet();
      }
      if (pending.get() != null) {
        scheduleDrain(0);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        scheduleDrain(0); // moved since the read: read again
        return;
      }
      String failure = ApiError.describe(e);
      if (!failure.equals(lastFailure)) {
        log.warn("{}: status write failed, retrying in {} ms: {}", ref, backoff.toMillis(),
            failure);
      }
      lastFailure = failure;
      scheduleDrain(backoff.toMillis());
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF
          : backoff.multipliedBy(2);
    }
  }

  private enum Outcome { WRITTEN, UNCHANGED, STALE, GONE, NOT_LEADING }

  private Outcome write(StatusReport r) {
    GenericKubernetesResource cur = client.genericKubernetesResources(MeshTracingApi.context())
        .inNamespace(ref.namespace()).withName(ref.name()).get();
    if (cur == null) {
      return Outcome.GONE;
    }
    MeshTracingSnapshot read = MeshTracingSnapshot.of(ref, cur);
    if (!read.uid().equals(r.uid()) || read.generation() != r.generation()) {
      return Outcome.STALE;
    }
    Map<String, Object> old = read.status();
    Map<String, Object> desired = desired(old, r);
    if (old != null && sameJson(old, desired)) {
      return Outcome.UNCHANGED;
    }
    GenericKubernetesResource body = client.getKubernetesSerialization().clone(cur);
    body.getMetadata().setManagedFields(null);
    body.setAdditionalProperty("status", desired);
    if (!leading) {
      return Outcome.NOT_LEADING; // lost the lease while reading: never write without it
    }
    client.resource(body).updateStatus();
    return Outcome.WRITTEN;
  }

  /** The status for {@code r}: conditions of other types kept, the transition time kept while
   * the condition's status stays. */
  @SuppressWarnings("unchecked")
  Map<String, Object> desired(Map<String, Object> old, StatusReport r) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("observedGeneration", r.generation());
    if (r.servedVersion() != null) {
      status.put("servedVersion", r.servedVersion());
    }
    String conditionStatus = r.accepted() ? "True" : "False";
    String since = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    List<Object> conditions = new ArrayList<>();
    Object oldConditions = old == null ? null : old.get("conditions");
    List<Object> others = new ArrayList<>();
    if (oldConditions instanceof List<?> list) {
      for (Object c : list) {
        if (c instanceof Map<?, ?> m && MeshTracingApi.CONDITION_ACCEPTED.equals(m.get("type"))) {
          if (conditionStatus.equals(m.get("status")) && m.get("lastTransitionTime") != null) {
            since = String.valueOf(m.get("lastTransitionTime"));
          }
        } else {
          others.add(c);
        }
      }
    }
    Map<String, Object> accepted = new LinkedHashMap<>();
    accepted.put("type", MeshTracingApi.CONDITION_ACCEPTED);
    accepted.put("status", conditionStatus);
    accepted.put("observedGeneration", r.generation());
    accepted.put("lastTransitionTime", since);
    accepted.put("reason", r.reason());
    accepted.put("message", r.message());
    conditions.add(accepted);
    conditions.addAll(others);
    status.put("conditions", conditions);
    return status;
  }

  private static boolean sameJson(Object a, Object b) {
    JsonNode x = MeshTracingSnapshot.JSON.valueToTree(a);
    JsonNode y = MeshTracingSnapshot.JSON.valueToTree(b);
    // 3 (int) and 3 (long) are the same number here.
    return x.equals((n1, n2) -> n1.isNumber() && n2.isNumber()
        ? n1.decimalValue().compareTo(n2.decimalValue()) : n1.equals(n2) ? 0 : 1, y);
  }
}
