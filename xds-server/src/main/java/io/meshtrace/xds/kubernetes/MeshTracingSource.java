package io.meshtrace.xds.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one {@code MeshTracing} with a fabric8 informer and reports each new spec, and the
 * resource's absence, to a {@link MeshTracingListener}.
 *
 * <p>The informer lists the one name (field selector {@code metadata.name}), then watches from
 * the list's resourceVersion. It re-lists by itself when the watch expires (HTTP 410) and
 * reconnects with exponential backoff (1 s doubling to 32 s) on any other failure, the first
 * list included, so a CRD or RBAC rule installed later, or an API server back after an outage,
 * is picked up without a restart. Every {@code resync} it hands the cached object again; that is
 * reported only when the last report to the listener threw. Each replica runs its own source:
 * the API server, not a peer, is the source of truth.
 *
 * <pre>{@code
 * KubernetesClient client = new KubernetesClientBuilder().build(); // service account or KUBECONFIG
 * MeshTracingSource source = new MeshTracingSource(client, new MeshTracingRef("meshtrace", "bookinfo"),
 *     listener, MeshTracingSource.DEFAULT_RESYNC);
 * source.start().get(30, SECONDS); // first list done (the resource found or reported absent)
 * }</pre>
 */
public final class MeshTracingSource implements AutoCloseable {
  /** How often the cached object is handed again (a failed report is then retried). */
  public static final Duration DEFAULT_RESYNC = Duration.ofMinutes(5);

  private static final Logger log = LoggerFactory.getLogger(MeshTracingSource.class);

  private final KubernetesClient client;
  private final MeshTracingRef ref;
  private final MeshTracingListener listener;
  private final Duration resync;
  private final Object lock = new Object();
  private SharedIndexInformer<GenericKubernetesResource> informer;
  private volatile MeshTracingSnapshot current;
  private volatile String lastProblem;
  private final CompletableFuture<Void> firstReport = new CompletableFuture<>();
  // Informer thread only:
  private MeshTracingSnapshot delivered;
  private MeshTracingListener.Absence absenceDelivered;
  private boolean lastCallFailed;

  /**
   * @param client a client whose config came from fabric8's default resolution (in-cluster
   *     service account, else KUBECONFIG / ~/.kube/config)
   * @param resync period of the informer's resync; zero turns it off
   */
  public MeshTracingSource(KubernetesClient client, MeshTracingRef ref,
      MeshTracingListener listener, Duration resync) {
    this.client = Objects.requireNonNull(client, "client");
    this.ref = Objects.requireNonNull(ref, "ref");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.resync = Objects.requireNonNull(resync, "resync");
  }

  /**
   * Starts the informer. The future completes once the first list has been handed to the
   * listener; until then (API server unreachable, CRD missing, forbidden) the informer keeps
   * retrying and {@link #lastProblem()} says why.
   */
  public CompletableFuture<Void> start() {
    synchronized (lock) {
      if (informer != null) {
        throw new IllegalStateException("already started");
      }
      informer = client.genericKubernetesResources(MeshTracingApi.context())
          .inNamespace(ref.namespace())
          .withName(ref.name())
          .runnableInformer(resync.toMillis());
      informer.exceptionHandler(this::retryAfter);
      informer.addEventHandler(new Handler());
      informer.start().whenComplete((v, t) -> {
        if (t != null) {
          firstReport.completeExceptionally(t); // stopped before the first list
        } else {
          lastProblem = null;
        }
      });
      return firstReport.copy();
    }
  }

  /** The resource as last seen, status-only updates included; empty while absent. */
  public Optional<MeshTracingSnapshot> current() {
    return Optional.ofNullable(current);
  }

  /** Whether the informer has a watch open now. */
  public boolean isWatching() {
    SharedIndexInformer<?> i;
    synchronized (lock) {
      i = informer;
    }
    return i != null && i.isWatching();
  }

  /** Why the last list or watch failed, until one succeeds again; null when all is well. */
  public String lastProblem() {
    return lastProblem;
  }

  /** The watched resource. */
  public MeshTracingRef ref() {
    return ref;
  }

  /** Stops the informer; the listener gets no call after this returns. */
  @Override
  public void close() {
    SharedIndexInformer<?> i;
    synchronized (lock) {
      i = informer;
    }
    if (i != null) {
      i.stop();
    }
  }

  private boolean retryAfter(boolean started, Throwable t) {
    String problem = ApiError.describe(t);
    // One line per distinct problem: a 403 retried every 32 s for a day is one log line.
    if (!problem.equals(lastProblem)) {
      log.warn("{}: {} of {}/{} failed, retrying: {}", ref, started ? "watch" : "list",
          MeshTracingApi.PLURAL, ref.name(), problem);
    } else if (log.isDebugEnabled()) {
      log.debug("{}: still failing: {}", ref, problem);
    }
    lastProblem = problem;
    // A resource that cannot be read as JSON will not become readable by retrying.
    return !ExceptionHandler.isDeserializationException(t);
  }

  private void spec(GenericKubernetesResource resource) {
    MeshTracingSnapshot s = MeshTracingSnapshot.of(ref, resource);
    current = s;
    if (s.sameSpec(delivered) && !lastCallFailed) {
      return; // status or metadata only, or a resync of what the listener has
    }
    try {
      listener.onSpec(s);
      lastCallFailed = false;
    } catch (RuntimeException e) {
      lastCallFailed = true;
      log.error("{}: listener failed on generation {}; retried at the next resync", ref,
          s.generation(), e);
    }
    delivered = s;
    absenceDelivered = null;
    firstReport.complete(null);
  }

  private void absent(MeshTracingListener.Absence absence) {
    current = null;
    if (absence == absenceDelivered && !lastCallFailed) {
      return;
    }
    try {
      listener.onAbsent(ref, absence);
      lastCallFailed = false;
    } catch (RuntimeException e) {
      lastCallFailed = true;
      log.error("{}: listener failed on {}", ref, absence, e);
    }
    delivered = null;
    absenceDelivered = absence;
    firstReport.complete(null);
  }

  private final class Handler implements ResourceEventHandler<GenericKubernetesResource> {
    @Override
    public void onAdd(GenericKubernetesResource obj) {
      spec(obj);
    }

    @Override
    public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
      spec(newObj);
    }

    @Override
    public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
      absent(MeshTracingListener.Absence.DELETED);
    }

    @Override
    public void onNothing() {
      absent(MeshTracingListener.Absence.NOT_FOUND);
    }
  }
}
