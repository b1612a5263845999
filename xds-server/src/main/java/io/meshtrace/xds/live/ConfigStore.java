package io.meshtrace.xds.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.live.WriteResult.Status;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
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
public final class ConfigStore {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

  /** Top-level keys {@code PUT /config/tracing} may change. */
  public static final Set<String> TRACING_KEYS = Set.of("meshVersion", "propagation",
      "defaultProviders", "extensionProviders", "tracing");

  private static final long SETTLE_MILLIS = 100;
  private static final int LOGGED_ERRORS = 20;
  /** Problems of a rejected file kept for {@code lastRejected}: the first this many. */
  private static final int KEPT_ERRORS = 100;

  private final Path file;
  private final ControlPlane plane;
  private final Metrics metrics;
  private final AtomicFileWriter.Progress progress;
  private JsonNode document;
  private String appliedHash;
  private String seenHash;
  private List<String> lastErrors = List.of();

  /** Outcome of a file reload: applied, or rejected with problems. */
  public record Outcome(boolean applied, boolean changed, List<String> errors) {}

  ConfigStore(Path file, ControlPlane plane, Metrics metrics, AtomicFileWriter.Progress progress) {
    this.file = file;
    this.plane = plane;
    this.metrics = metrics;
    this.progress = progress;
    metrics.describe("meshtrace_xds_config_reloads_total", "Config file changes seen, by result");
  }

  /**
   * Loads and applies the config file; the server does not start on a bad file.
   *
   * @throws ConfigException with every problem of the file
   */
  public static ConfigStore open(Path file, ControlPlane plane, Metrics metrics)
      throws IOException, ConfigException {
    return open(file, plane, metrics, AtomicFileWriter.NONE);
  }

  /** Applies config text that has no file (the bundled default); admin writes are refused. */
  public static ConfigStore fromText(String yaml, ControlPlane plane, Metrics metrics)
      throws ConfigException {
    ConfigStore s = new ConfigStore(null, plane, metrics, AtomicFileWriter.NONE);
    byte[] bytes = yaml.getBytes(StandardCharsets.UTF_8);
    s.apply(ConfigText.readYaml(bytes), FileState.hash(bytes));
    return s;
  }

  /** Same as {@link #open} with a hook that runs after each chunk of an admin write. */
  static ConfigStore open(Path file, ControlPlane plane, Metrics metrics,
      AtomicFileWriter.Progress progress) throws IOException, ConfigException {
    ConfigStore s = new ConfigStore(file, plane, metrics, progress);
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
    MeshConfig config = ConfigParser.parse(tree, baseDir());
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
  public synchronized JsonNode document() {
    return document.deepCopy();
  }

  /** Problems of the last rejected change, empty after a good one. */
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
      if (!state.exists() || state.hash().equals(seenHash)) {
        // Missing: mid-swap of a ConfigMap symlink, or gone; keep serving, look again later.
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
   * Applies a {@code PUT /config/tracing} body: exactly one JSON object whose keys are
   * {@link #TRACING_KEYS}, at most {@link ConfigText#MAX_BYTES}.
   *
   * @throws IOException when the file cannot be written (nothing changed)
   */
  public synchronized WriteResult updateTracing(byte[] body) throws IOException {
    String size = ConfigText.sizeProblem(body.length);
    if (size != null) {
      return WriteResult.of(Status.TOO_LARGE, List.of("(body): the request " + size));
    }
    try {
      return updateTracing(ConfigText.readJson(body));
    } catch (ConfigException e) {
      return WriteResult.of(Status.INVALID, e.errors());
    }
  }

  /**
   * Replaces tracing keys ({@link #TRACING_KEYS}) of the document, checks the result, writes the
   * file atomically, then swaps the snapshots. A JSON {@code null} removes a key. Refused with
   * {@link Status#CONFLICT} when the file no longer holds what the server last applied.
   *
   * @throws IOException when the file cannot be written (nothing changed)
   */
  public synchronized WriteResult updateTracing(JsonNode patch) throws IOException {
    if (patch == null || !patch.isObject()) {
      return invalid("(body): must be a JSON object with any of " + TRACING_KEYS);
    }
    List<String> errors = new ArrayList<>();
    ObjectNode next = merged(patch, errors);
    if (!errors.isEmpty()) {
      return WriteResult.of(Status.INVALID, errors);
    }
    if (file == null) {
      return invalid("(config): serving the bundled config, there is no file to write; "
          + "start with --config FILE");
    }
    ControlPlane.Prepared p;
    try {
      p = plane.prepare(ConfigParser.parse(next, baseDir()));
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
    }
    plane.commit(p);
    document = next;
    appliedHash = FileState.hash(bytes);
    seenHash = appliedHash;
    lastErrors = List.of();
    LOG.info("tracing changed through the admin API; {} written", file);
    return WriteResult.ok();
  }

  /**
   * Checks a {@code PUT /config/tracing} body the way {@link #updateTracing(byte[])} does (the
   * same parser, the same snapshot checks) without writing or serving anything.
   *
   * @return the problems, each {@code key=value: what was expected}; empty when the change
   *     would be applied (a racing edit of the file can still refuse it)
   */
  public synchronized List<String> checkTracing(byte[] body) {
    String size = ConfigText.sizeProblem(body.length);
    if (size != null) {
      return List.of("(body): the request " + size);
    }
    try {
      JsonNode patch = ConfigText.readJson(body);
      if (patch == null || !patch.isObject()) {
        return List.of("(body): must be a JSON object with any of " + TRACING_KEYS);
      }
      List<String> errors = new ArrayList<>();
      ObjectNode next = merged(patch, errors);
      return errors.isEmpty() ? plane.prepare(ConfigParser.parse(next, baseDir())).errors()
          : errors;
    } catch (ConfigException e) {
      return e.errors();
    }
  }

  /** The document with the tracing keys of {@code patch} replaced; a JSON null removes one. */
  private ObjectNode merged(JsonNode patch, List<String> errors) {
    ObjectNode next = (ObjectNode) document.deepCopy();
    Iterator<String> keys = patch.fieldNames();
    while (keys.hasNext()) {
      String k = keys.next();
      if (!TRACING_KEYS.contains(k)) {
        errors.add(k + ": not a tracing key; allowed: " + TRACING_KEYS);
      } else if (patch.get(k).isNull()) {
        next.remove(k);
      } else {
        next.set(k, patch.get(k));
      }
    }
    return next;
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
