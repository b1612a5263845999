package io.meshtrace.xds.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.LocalSecrets;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.Redaction;
import io.meshtrace.xds.config.SecretRefresh;
import io.meshtrace.xds.config.SecretResolver;
import io.meshtrace.xds.live.WriteResult.Status;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The config file and the document it holds, kept in step with the {@link ControlPlane}.
 *
 * <p>Two ways in, one rule: a change is parsed, every snapshot is built and checked, and only a
 * change without problems is swapped in. {@link #reloadIfChanged()} follows the file (by content
 * hash, so a Kubernetes ConfigMap's {@code ..data} symlink swap is seen like any edit);
 * {@link #updateTracing} changes the tracing keys from the admin API and writes the file
 * atomically before the swap, and only while the file still holds what was last applied: an
 * operator's edit the server has not taken yet is never overwritten.
 *
 * <p>The file, its reader and the admin API share one size limit, {@link ConfigText#MAX_BYTES}.
 */
public final class ConfigStore implements ConfigSource {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

  /** Top-level keys {@code PUT /config/tracing} may change. */
  public static final Set<String> TRACING_KEYS = TracingPatch.KEYS;

  private static final long SETTLE_MILLIS = 100;
  private static final int LOGGED_ERRORS = 20;
  /** Problems of a rejected file kept for {@code lastRejected}: the first this many. */
  private static final int KEPT_ERRORS = 100;

  private final Path file;
  private final ControlPlane plane;
  private final Metrics metrics;
  private final AtomicFileWriter.Progress progress;
  private final SecretResolver secrets;
  private JsonNode document;
  private String appliedHash;
  private String seenHash;
  private List<String> lastErrors = List.of();
  /** Problems of the last failed re-read of references, logged once. */
  private List<String> referenceErrors = List.of();

  /** Outcome of a file reload: applied, or rejected with problems. */
  public record Outcome(boolean applied, boolean changed, List<String> errors) {}

  ConfigStore(Path file, ControlPlane plane, Metrics metrics, AtomicFileWriter.Progress progress,
      SecretResolver secrets) {
    this.file = file;
    this.plane = plane;
    this.metrics = metrics;
    this.progress = progress;
    this.secrets = secrets;
    metrics.describe("meshtrace_xds_config_reloads_total", "Config file changes seen, by result");
  }

  /**
   * Loads and applies the config file; the server does not start on a bad file.
   *
   * @throws ConfigException with every problem of the file
   */
  public static ConfigStore open(Path file, ControlPlane plane, Metrics metrics)
      throws IOException, ConfigException {
    return open(file, plane, metrics, AtomicFileWriter.NONE, LocalSecrets.process());
  }

  /**
   * Like {@link #open(Path, ControlPlane, Metrics)}, resolving {@code envName}, {@code file}
   * and {@code secretKeyRef} references through {@code secrets}.
   */
  public static ConfigStore open(Path file, ControlPlane plane, Metrics metrics,
      SecretResolver secrets) throws IOException, ConfigException {
    return open(file, plane, metrics, AtomicFileWriter.NONE, secrets);
  }

  /** Applies config text that has no file (the bundled default); admin writes are refused. */
  public static ConfigStore fromText(String yaml, ControlPlane plane, Metrics metrics)
      throws ConfigException {
    ConfigStore s = new ConfigStore(null, plane, metrics, AtomicFileWriter.NONE,
        LocalSecrets.process());
    byte[] bytes = yaml.getBytes(StandardCharsets.UTF_8);
    s.apply(ConfigText.readYaml(bytes), FileState.hash(bytes));
    return s;
  }

  /** Same as {@link #open} with a hook that runs after each chunk of an admin write. */
  static ConfigStore open(Path file, ControlPlane plane, Metrics metrics,
      AtomicFileWriter.Progress progress) throws IOException, ConfigException {
    return open(file, plane, metrics, progress, LocalSecrets.process());
  }

  private static ConfigStore open(Path file, ControlPlane plane, Metrics metrics,
      AtomicFileWriter.Progress progress, SecretResolver secrets)
      throws IOException, ConfigException {
    ConfigStore s = new ConfigStore(file, plane, metrics, progress, secrets);
    FileState state = FileState.read(file);
    if (!state.exists()) {
      throw new java.nio.file.NoSuchFileException(file.toString());
    }
    s.apply(s.tree(state), state.hash());
    return s;
  }

  /** The tree of a file's content; an oversized file is a problem, not a read. */
  private JsonNode tree(FileState state) throws ConfigException {
    if (state.tooLarge()) {
      throw new ConfigException(List.of(file.getFileName() + ": the config "
          + ConfigText.sizeProblem(state.size())));
    }
    return ConfigText.readYaml(state.bytes());
  }

  /** Parses, builds and checks every snapshot, swaps them in; returns the previous config. */
  private MeshConfig apply(JsonNode tree, String hash) throws ConfigException {
    MeshConfig config = ConfigParser.parse(tree, baseDir(), secrets);
    ControlPlane.Prepared p = plane.prepare(config);
    if (!p.errors().isEmpty()) {
      throw new ConfigException(p.errors());
    }
    MeshConfig previous = plane.config();
    plane.commit(p);
    document = tree;
    appliedHash = hash;
    seenHash = hash;
    lastErrors = List.of();
    config.warnings().forEach(w -> LOG.warn("config: {}", w));
    return previous;
  }

  /** The file, or null for the bundled config. */
  public Path file() {
    return file;
  }

  /** The document as last applied (a copy). */
  @Override
  public synchronized JsonNode document() {
    return document.deepCopy();
  }

  /** Problems of the last rejected change, empty after a good one. */
  @Override
  public synchronized List<String> lastErrors() {
    return lastErrors;
  }

  /** Content hash of the applied file. */
  public synchronized String appliedHash() {
    return appliedHash;
  }

  /**
   * Reads the file and applies it when its content changed since it was last seen. A bad file
   * (empty, a second document, a duplicate key, over the size limit, invalid) is logged and
   * counted once; the last good config stays.
   */
  public synchronized Outcome reloadIfChanged() {
    Outcome none = new Outcome(false, false, List.of());
    if (file == null) {
      return none;
    }
    FileState state;
    try {
      state = FileState.read(file);
      if (state.exists() && state.hash().equals(seenHash)) {
        return state.hash().equals(appliedHash) ? refreshReferences() : none;
      }
      if (!state.exists()) {
        // Mid-swap of a ConfigMap symlink, or gone; keep serving, look again later.
        return none;
      }
      // Editors and scripts often truncate and rewrite in place: a half-written file can be
      // valid YAML. Take the content only once it reads the same twice, SETTLE apart.
      Thread.sleep(SETTLE_MILLIS);
      if (!FileState.read(file).hash().equals(state.hash())) {
        return none;
      }
    } catch (IOException e) {
      LOG.debug("cannot read {}: {}", file, e.toString());
      return none;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return none;
    }
    seenHash = state.hash();
    if (state.hash().equals(appliedHash)) {
      lastErrors = List.of();
      return none;
    }
    try {
      MeshConfig previous = apply(tree(state), state.hash());
      metrics.increment("meshtrace_xds_config_reloads_total", Metrics.label("result", "applied"));
      if (previous != null && !previous.server().equals(plane.config().server())) {
        LOG.warn("config {}: the server section (ports, TLS, token) changed; it takes effect"
            + " at the next start", file);
      }
      LOG.info("config {} applied (content {})", file, state.hash().substring(0, 12));
      return new Outcome(true, true, List.of());
    } catch (ConfigException e) {
      lastErrors = e.errors().size() <= KEPT_ERRORS ? e.errors()
          : List.copyOf(e.errors().subList(0, KEPT_ERRORS));
      metrics.increment("meshtrace_xds_config_reloads_total",
          Metrics.label("result", "rejected"));
      metrics.increment("meshtrace_xds_config_rejected_total", "");
      LOG.error("config {} rejected, still serving the last good one:\n  {}", file,
          logged(e.errors()));
      return new Outcome(false, true, e.errors());
    }
  }

  /**
   * Applies the served document again when one of its references ({@code envName},
   * {@code file}, {@code secretKeyRef}) resolves to a new value: a rotated token reaches Envoy
   * within one poll. A reference that broke is reported once; the last good config stays.
   */
  private Outcome refreshReferences() {
    MeshConfig served = plane.config();
    if (served == null || !SecretRefresh.hasReferences(served)
        || !SecretRefresh.changed(served, baseDir(), secrets)) {
      return new Outcome(false, false, List.of());
    }
    try {
      apply(document, appliedHash);
      referenceErrors = List.of();
      metrics.increment("meshtrace_xds_config_reloads_total", Metrics.label("result", "applied"));
      LOG.info("config {}: a referenced value (envName, file, secretKeyRef) changed; applied"
          + " again", file);
      return new Outcome(true, true, List.of());
    } catch (ConfigException e) {
      lastErrors = e.errors().size() <= KEPT_ERRORS ? e.errors()
          : List.copyOf(e.errors().subList(0, KEPT_ERRORS));
      if (!e.errors().equals(referenceErrors)) {
        referenceErrors = e.errors();
        metrics.increment("meshtrace_xds_config_reloads_total",
            Metrics.label("result", "rejected"));
        metrics.increment("meshtrace_xds_config_rejected_total", "");
        LOG.error("config {}: a referenced value no longer resolves, still serving the last"
            + " good one:\n  {}", file, logged(e.errors()));
      }
      return new Outcome(false, true, e.errors());
    }
  }

  /**
   * Applies a {@code PUT /config/tracing} body: exactly one JSON object whose keys are
   * {@link #TRACING_KEYS}, at most {@link ConfigText#MAX_BYTES}.
   *
   * @throws IOException when the file cannot be written (nothing changed)
   */
  @Override
  public synchronized WriteResult updateTracing(byte[] body) throws IOException {
    TracingPatch patch = TracingPatch.of(document, body);
    return patch.refused() != null ? patch.refused() : write(patch.merged());
  }

  /**
   * Replaces tracing keys ({@link #TRACING_KEYS}) of the document, checks the result, writes the
   * file atomically, then swaps the snapshots. A JSON {@code null} removes a key. Refused with
   * {@link Status#CONFLICT} when the file no longer holds what the server last applied.
   *
   * @throws IOException when the file cannot be written (nothing changed)
   */
  public synchronized WriteResult updateTracing(JsonNode patch) throws IOException {
    TracingPatch p = TracingPatch.of(document, patch);
    return p.refused() != null ? p.refused() : write(p.merged());
  }

  private WriteResult write(ObjectNode next) throws IOException {
    if (file == null) {
      return invalid("(config): serving the bundled config, there is no file to write; "
          + "start with --config FILE");
    }
    ControlPlane.Prepared p;
    try {
      p = plane.prepare(ConfigParser.parse(next, baseDir(), secrets));
    } catch (ConfigException e) {
      return WriteResult.of(Status.INVALID, e.errors());
    }
    if (!p.errors().isEmpty()) {
      return WriteResult.of(Status.INVALID, p.errors());
    }
    String yaml = ConfigText.writeYaml(next);
    byte[] bytes = yaml.getBytes(StandardCharsets.UTF_8);
    String size = ConfigText.sizeProblem(bytes.length);
    String line = size == null ? ConfigText.lineProblem(yaml) : null;
    if (size != null || line != null) {
      return WriteResult.of(Status.TOO_LARGE, List.of("(config): the file would be YAML whose "
          + (size != null ? "size " + size : line)));
    }
    if (!readsBack(bytes, next)) {
      return invalid("(body): a value cannot be written as YAML that reads back the same");
    }
    FileState before = FileState.read(file);
    if (!before.hash().equals(appliedHash)) {
      return conflict(before);
    }
    try {
      // Writing and syncing the new file takes a while: look again just before the rename.
      AtomicFileWriter.write(file, bytes, progress, real -> {
        FileState now = FileState.read(real);
        if (!now.hash().equals(appliedHash)) {
          throw new EditedMeanwhile(now);
        }
      });
    } catch (EditedMeanwhile e) {
      return conflict(e.state);
    } catch (FileSystemException | ReadOnlyFileSystemException e) {
      return unwritable(e);
    }
    plane.commit(p);
    document = next;
    appliedHash = FileState.hash(bytes);
    seenHash = appliedHash;
    lastErrors = List.of();
    LOG.info("tracing changed through the admin API; {} written", file);
    return WriteResult.ok();
  }

  @Override
  public synchronized List<String> checkTracing(byte[] body) {
    TracingPatch p = TracingPatch.of(document, body);
    if (p.refused() != null) {
      return p.refused().errors();
    }
    try {
      return plane.prepare(ConfigParser.parse(p.merged(), baseDir(), secrets)).errors();
    } catch (ConfigException e) {
      return e.errors();
    }
  }

  private static boolean readsBack(byte[] bytes, JsonNode tree) {
    try {
      return ConfigText.readYaml(bytes).equals(tree);
    } catch (ConfigException e) {
      return false;
    }
  }

  /** Names the edit on disk that a write would have overwritten. */
  private WriteResult conflict(FileState disk) {
    String change;
    if (!disk.exists()) {
      change = "the file is gone";
    } else {
      try {
        Set<String> keys = changedKeys(document, tree(disk));
        change = keys.isEmpty() ? "the edit changes no key (layout or comments only)"
            : "the edit changes " + String.join(", ", keys);
      } catch (ConfigException e) {
        change = "the edit is not a valid config: " + e.errors().get(0);
      }
    }
    String what = file.getFileName() + " was changed on disk since the server last applied it"
        + " (now sha256 " + disk.hash().substring(0, 12)
        + (disk.modified() == null ? "" : ", modified " + disk.modified())
        + "; applied " + appliedHash.substring(0, 12) + "): " + change
        + ". The edit is kept and this change is not applied: let the server apply the file"
        + " (or fix what lastRejected names), then send the change again";
    LOG.warn("admin write refused: {}", what);
    return WriteResult.of(Status.CONFLICT, List.of("(file): " + what));
  }

  /**
   * The file or its directory cannot be written: a ConfigMap volume, a read-only mount, missing
   * permissions. Not the server's fault, and retrying will not help: say where to change it.
   */
  private WriteResult unwritable(Exception e) {
    String why = e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
        : "read-only file system";
    String what = "the config source is the file " + file + ", which cannot be written (" + why
        + "; a Kubernetes ConfigMap volume is always read-only). Nothing changed. Change the"
        + " file where it comes from (edit the ConfigMap, or the file on a writable volume), or"
        + " run xds-server with --source kubernetes so that admin writes go to the MeshTracing"
        + " resource";
    LOG.warn("admin write refused: {}", what);
    return WriteResult.of(Status.CONFLICT, List.of("(file): " + what));
  }

  @Override
  public String describe() {
    return file == null ? "the bundled config" : "file " + file;
  }

  private static Set<String> changedKeys(JsonNode a, JsonNode b) {
    Set<String> keys = new TreeSet<>();
    a.fieldNames().forEachRemaining(keys::add);
    if (b.isObject()) {
      b.fieldNames().forEachRemaining(keys::add);
    }
    keys.removeIf(k -> a.path(k).equals(b.path(k)));
    return keys.size() <= 10 ? keys : new TreeSet<>(List.copyOf(keys).subList(0, 10));
  }

  private static WriteResult invalid(String error) {
    return WriteResult.of(Status.INVALID, List.of(error));
  }

  private static String logged(List<String> errors) {
    List<String> shown = errors.size() <= LOGGED_ERRORS ? errors
        : new ArrayList<>(errors.subList(0, LOGGED_ERRORS));
    if (shown != errors) {
      shown.add("... and " + (errors.size() - LOGGED_ERRORS) + " more");
    }
    return String.join("\n  ", shown);
  }

  private Path baseDir() {
    return file == null ? null : file.toAbsolutePath().getParent();
  }

  /** The file changed between the check and the rename of an admin write. */
  private static final class EditedMeanwhile extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient FileState state;

    EditedMeanwhile(FileState state) {
      super("config file changed during the write");
      this.state = state;
    }
  }
}
