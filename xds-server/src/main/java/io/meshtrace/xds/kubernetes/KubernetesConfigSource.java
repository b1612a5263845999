package io.meshtrace.xds.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.LocalSecrets;
import io.meshtrace.xds.config.SecretResolver;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.live.ConfigSource;
import io.meshtrace.xds.live.TracingPatch;
import io.meshtrace.xds.live.WriteResult;
import io.meshtrace.xds.live.WriteResult.Status;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code MeshTracing} resource as xds-server's config source ({@code serve --source
 * kubernetes}): every replica watches it, parses and checks each new spec and serves it on its
 * own; the replica holding the Lease writes the status; admin writes replace the spec with the
 * resourceVersion they read.
 *
 * <p>A spec that fails (parser or snapshot checks) is never served: the last good one stays, and
 * the status says {@code Accepted=False} with the problems. The served version is a hash of the
 * spec's JSON, so every replica reports the same one for the same spec.
 */
public final class KubernetesConfigSource implements ConfigSource, MeshTracingListener {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesConfigSource.class);
  /** How long a PUT waits for this replica's informer to see the spec it wrote. */
  static final Duration WRITE_SEEN_WAIT = Duration.ofSeconds(2);
  /** Problems of a refused spec kept for {@code lastRejected}: the first this many. */
  private static final int KEPT_ERRORS = 100;

  /**
   * Where the resource is and how this replica reaches it.
   *
   * @param ref the one {@code MeshTracing}, {@code --namespace NS --name NAME}
   * @param client a client (in-cluster service account or KUBECONFIG); closed with the source
   * @param lease the Lease that elects the status writer
   * @param firstList how long the start waits for the first list of the resource
   */
  public record Settings(MeshTracingRef ref, KubernetesClient client,
      MeshTracingStatusWriter.LeaseSettings lease, Duration firstList) {
    public Settings {
      Objects.requireNonNull(ref, "ref");
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(firstList, "firstList");
    }
  }

  private final Settings settings;
  private final ControlPlane plane;
  private final Metrics metrics;
  private final MeshTracingStatusWriter status;
  private final MeshTracingSpecWriter specs;
  private final MeshTracingSource source;
  /** {@code secretKeyRef}s read from the MeshTracing's namespace; env and files locally. */
  private final SecretResolver secrets;
  // Guarded by this:
  private JsonNode document;
  private String servedVersion;
  private List<String> lastErrors = List.of();
  private String seenUid;
  private long seenGeneration = -1;

  private KubernetesConfigSource(Settings settings, ControlPlane plane, Metrics metrics) {
    this.settings = settings;
    this.plane = plane;
    this.metrics = metrics;
    this.status = new MeshTracingStatusWriter(settings.client(), settings.ref(), settings.lease());
    this.specs = new MeshTracingSpecWriter(settings.client(), settings.ref());
    this.source = new MeshTracingSource(settings.client(), settings.ref(), this,
        MeshTracingSource.DEFAULT_RESYNC);
    this.secrets = new KubernetesSecrets(settings.client(), settings.ref().namespace(),
        LocalSecrets.process());
  }

  /**
   * Starts competing for the status Lease and watching the resource, and waits until the first
   * list was handled: the spec served (or refused, and reported), or the resource found absent.
   *
   * @throws KubernetesUnreachableException when the first list did not complete in time (the
   *     reason names the API server's answer); nothing keeps running
   */
  public static KubernetesConfigSource start(Settings settings, ControlPlane plane,
      Metrics metrics) throws KubernetesUnreachableException {
    KubernetesConfigSource s = new KubernetesConfigSource(settings, plane, metrics);
    s.status.start();
    try {
      s.source.start().get(settings.firstList().toMillis(), TimeUnit.MILLISECONDS);
      return s;
    } catch (TimeoutException | ExecutionException e) {
      String why = s.source.lastProblem() != null ? s.source.lastProblem()
          : ApiError.describe(e.getCause() == null ? e : e.getCause());
      s.close();
      throw new KubernetesUnreachableException(settings.ref() + ": " + MeshTracingApi.PLURAL
          + "/" + settings.ref().name() + " could not be read within "
          + settings.firstList().toSeconds() + " s: " + why);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      s.close();
      throw new KubernetesUnreachableException(settings.ref() + ": interrupted at start");
    }
  }

  // ------------------------------------------------------------------ watch

  @Override
  public void onSpec(MeshTracingSnapshot snapshot) {
    JsonNode spec = snapshot.spec();
    List<String> problems = new ArrayList<>();
    ControlPlane.Prepared prepared = null;
    if (spec.isObject()) {
      for (String k : MeshTracingCrd.PROCESS_KEYS) {
        if (spec.has(k)) {
          problems.add("spec." + k + ": process settings are not part of a MeshTracing; set"
              + " them with xds-server's flags (--port, --admin-port, --bind)");
        }
      }
    }
    if (problems.isEmpty()) {
      try {
        MeshConfig config = ConfigParser.parse(spec, null, secrets);
        prepared = plane.prepare(config);
        problems.addAll(prepared.errors());
      } catch (ConfigException e) {
        problems.addAll(e.errors());
      }
    }
    StatusReport report;
    synchronized (this) {
      if (problems.isEmpty()) {
        plane.commit(prepared);
        document = spec;
        servedVersion = version(snapshot.specJson());
        lastErrors = List.of();
        prepared.config().warnings().forEach(w -> LOG.warn("{}: config: {}", ref(), w));
        LOG.info("{}: generation {} served as version {}", ref(), snapshot.generation(),
            servedVersion);
        report = StatusReport.accepted(snapshot, servedVersion);
      } else {
        lastErrors = problems.size() <= KEPT_ERRORS ? List.copyOf(problems)
            : List.copyOf(problems.subList(0, KEPT_ERRORS));
        metrics.increment("meshtrace_xds_config_rejected_total", "");
        LOG.error("{}: generation {} refused, {}:\n  {}", ref(), snapshot.generation(),
            servedVersion == null ? "nothing served yet" : "still serving " + servedVersion,
            String.join("\n  ", lastErrors.subList(0, Math.min(20, lastErrors.size()))));
        report = StatusReport.invalid(snapshot, problems, servedVersion);
      }
      seenUid = snapshot.uid();
      seenGeneration = snapshot.generation();
      notifyAll();
    }
    status.report(report);
  }

  @Override
  public void onAbsent(MeshTracingRef ref, Absence absence) {
    synchronized (this) {
      LOG.warn("{}: the MeshTracing is {}; {}", ref,
          absence == Absence.DELETED ? "deleted" : "not found",
          servedVersion == null ? "nothing is served until it exists"
              : "still serving version " + servedVersion);
    }
  }

  // ------------------------------------------------------------------ admin writes

  @Override
  public List<String> checkTracing(byte[] body) {
    MeshTracingSnapshot read = source.current().orElse(null);
    if (read == null) {
      return List.of("(resource): " + describe() + " does not exist; create it first");
    }
    TracingPatch patch = TracingPatch.of(read.spec(), body);
    return patch.refused() != null ? patch.refused().errors() : problems(patch.merged());
  }

  /** What parsing and checking a changed spec finds; empty when every replica would serve it. */
  private List<String> problems(JsonNode spec) {
    try {
      return plane.prepare(ConfigParser.parse(spec, null, secrets)).errors();
    } catch (ConfigException e) {
      return e.errors();
    }
  }

  @Override
  public WriteResult updateTracing(byte[] body) {
    MeshTracingSnapshot read = source.current().orElse(null);
    if (read == null) {
      return WriteResult.of(Status.CONFLICT, List.of("(resource): " + describe()
          + " does not exist; create it (kubectl apply -f the MeshTracing), then send the"
          + " change again"));
    }
    TracingPatch patch = TracingPatch.of(read.spec(), body);
    if (patch.refused() != null) {
      return patch.refused();
    }
    List<String> problems = problems(patch.merged());
    if (!problems.isEmpty()) {
      return WriteResult.of(Status.INVALID, problems);
    }
    SpecWriteResult r = specs.replaceSpec(read, patch.merged());
    if (r instanceof SpecWriteResult.Written w) {
      boolean seen = awaitSeen(read.uid(), w.generation());
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("source", describe());
      details.put("generation", w.generation());
      details.put("resourceVersion", w.resourceVersion());
      if (!seen) {
        details.put("note", "written; this replica had not seen the new generation within "
            + WRITE_SEEN_WAIT.toMillis() + " ms, the config below may be the previous one");
      }
      LOG.info("{}: tracing changed through the admin API; generation {} written", ref(),
          w.generation());
      return new WriteResult(Status.APPLIED, List.of(), details);
    }
    if (r instanceof SpecWriteResult.Conflict c) {
      return new WriteResult(Status.CONFLICT, List.of("(resource): " + describe()
          + " changed after this server read it (read generation " + read.generation()
          + ", resourceVersion " + read.resourceVersion() + "; now generation "
          + c.currentGeneration() + ", resourceVersion " + c.currentResourceVersion()
          + "). Nothing was written: read the config again (GET /config/tracing) and send the"
          + " change on top of it"), Map.of("currentGeneration", c.currentGeneration(),
          "currentResourceVersion", c.currentResourceVersion()));
    }
    if (r instanceof SpecWriteResult.NotFound) {
      return WriteResult.of(Status.CONFLICT, List.of("(resource): " + describe()
          + " was deleted; create it again, then send the change again"));
    }
    SpecWriteResult.Failed f = (SpecWriteResult.Failed) r;
    if (f.httpCode() == 422) {
      return WriteResult.of(Status.INVALID, List.of("(resource): the API server refused the"
          + " spec: " + f.message()));
    }
    return WriteResult.of(Status.UNAVAILABLE, List.of("(resource): " + describe()
        + " not written, nothing changed: " + f.message()
        + (f.httpCode() == HttpURLConnection.HTTP_FORBIDDEN ? " (the service account needs"
            + " update on meshtracings; see k8s/ RBAC)" : "")));
  }

  private synchronized boolean awaitSeen(String uid, long generation) {
    long deadline = System.nanoTime() + WRITE_SEEN_WAIT.toNanos();
    while (!(uid.equals(seenUid) && seenGeneration >= generation)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ views

  @Override
  public String describe() {
    return "MeshTracing " + ref();
  }

  @Override
  public synchronized JsonNode document() {
    return document == null ? null : document.deepCopy();
  }

  @Override
  public synchronized List<String> lastErrors() {
    return lastErrors;
  }

  /** Version of the spec served (a hash of its JSON), or null while none is. */
  public synchronized String servedVersion() {
    return servedVersion;
  }

  /** The status writer: whether this replica leads, how many writes it made. */
  public MeshTracingStatusWriter status() {
    return status;
  }

  /** The watched resource. */
  public MeshTracingRef ref() {
    return settings.ref();
  }

  /** Stops watching and gives the Lease up; the control plane keeps the last good config. */
  @Override
  public void close() {
    source.close();
    status.close();
    settings.client().close();
  }

  /** First 16 hex digits of the SHA-256 of the spec's JSON. */
  static String version(String specJson) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(specJson.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
