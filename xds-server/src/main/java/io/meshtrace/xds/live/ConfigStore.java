package io.meshtrace.xds.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.hash.Hashing;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The config file and the document it holds, kept in step with the {@link ControlPlane}.
 *
 * <p>Two ways in, one rule: a change is parsed, every snapshot is built and checked, and only a
 * change without problems is swapped in. {@link #reloadIfChanged()} follows the file (by content
 * hash, so a Kubernetes ConfigMap's {@code ..data} symlink swap is seen like any edit);
 * {@link #updateTracing} changes the tracing keys from the admin API and writes the file
 * atomically before the swap.
 */
public final class ConfigStore {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

  /** Top-level keys {@code PUT /config/tracing} may change. */
  public static final Set<String> TRACING_KEYS = Set.of("meshVersion", "propagation",
      "defaultProviders", "extensionProviders", "tracing");

  private static final long SETTLE_MILLIS = 100;

  private final Path file;
  private final ControlPlane plane;
  private final Metrics metrics;
  private final AtomicFileWriter.Progress progress;
  private JsonNode document;
  private String appliedHash;
  private String seenHash;
  private List<String> lastErrors = List.of();

  /** Outcome of a change: applied, or rejected with problems. */
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
    ConfigStore s = new ConfigStore(file, plane, metrics, AtomicFileWriter.NONE);
    byte[] bytes = Files.readAllBytes(file);
    s.load(bytes, true);
    return s;
  }

  /** Applies config text that has no file (the bundled default); admin writes are refused. */
  public static ConfigStore fromText(String yaml, ControlPlane plane, Metrics metrics)
      throws ConfigException {
    ConfigStore s = new ConfigStore(null, plane, metrics, AtomicFileWriter.NONE);
    s.load(yaml.getBytes(StandardCharsets.UTF_8), true);
    return s;
  }

  /** Same as {@link #open} with a hook that runs after each chunk of an admin write. */
  static ConfigStore open(Path file, ControlPlane plane, Metrics metrics,
      AtomicFileWriter.Progress progress) throws IOException, ConfigException {
    ConfigStore s = new ConfigStore(file, plane, metrics, progress);
    s.load(Files.readAllBytes(file), true);
    return s;
  }

  private synchronized void load(byte[] bytes, boolean initial) throws ConfigException {
    String hash = hash(bytes);
    JsonNode tree = ConfigParser.readTree(new String(bytes, StandardCharsets.UTF_8));
    MeshConfig config = ConfigParser.parse(tree, baseDir());
    ControlPlane.Prepared p = plane.prepare(config);
    if (!p.errors().isEmpty()) {
      throw new ConfigException(p.errors());
    }
    plane.commit(p);
    document = tree;
    appliedHash = hash;
    seenHash = hash;
    config.warnings().forEach(w -> LOG.warn("config: {}", w));
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
   * Reads the file and applies it when its content changed since it was last seen. A bad file is
   * logged and counted once; the last good config stays.
   */
  public synchronized Outcome reloadIfChanged() {
    if (file == null) {
      return new Outcome(false, false, List.of());
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      // Mid-swap of a ConfigMap symlink, or the file is gone: keep serving, look again later.
      LOG.debug("cannot read {}: {}", file, e.toString());
      return new Outcome(false, false, List.of());
    }
    String hash = hash(bytes);
    if (hash.equals(seenHash)) {
      return new Outcome(false, false, List.of());
    }
    // Editors and scripts often truncate and rewrite in place: a half-written file can be
    // valid YAML. Take the content only once it reads the same twice, SETTLE apart.
    try {
      Thread.sleep(SETTLE_MILLIS);
      byte[] again = Files.readAllBytes(file);
      if (!hash(again).equals(hash)) {
        return new Outcome(false, false, List.of());
      }
    } catch (IOException e) {
      return new Outcome(false, false, List.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome(false, false, List.of());
    }
    seenHash = hash;
    if (hash.equals(appliedHash)) {
      lastErrors = List.of();
      return new Outcome(false, false, List.of());
    }
    try {
      JsonNode tree = ConfigParser.readTree(new String(bytes, StandardCharsets.UTF_8));
      MeshConfig config = ConfigParser.parse(tree, baseDir());
      ControlPlane.Prepared p = plane.prepare(config);
      if (!p.errors().isEmpty()) {
        throw new ConfigException(p.errors());
      }
      MeshConfig previous = plane.config();
      plane.commit(p);
      document = tree;
      appliedHash = hash;
      lastErrors = List.of();
      metrics.increment("meshtrace_xds_config_reloads_total", Metrics.label("result", "applied"));
      if (previous != null && !previous.server().equals(config.server())) {
        LOG.warn("config {}: the server section (ports, TLS, token) changed; it takes effect"
            + " at the next start", file);
      }
      LOG.info("config {} applied (content {})", file, hash.substring(0, 12));
      config.warnings().forEach(w -> LOG.warn("config: {}", w));
      return new Outcome(true, true, List.of());
    } catch (ConfigException e) {
      lastErrors = e.errors();
      metrics.increment("meshtrace_xds_config_reloads_total",
          Metrics.label("result", "rejected"));
      metrics.increment("meshtrace_xds_config_rejected_total", "");
      LOG.error("config {} rejected, still serving the last good one:\n  {}", file,
          String.join("\n  ", e.errors()));
      return new Outcome(false, true, e.errors());
    }
  }

  /**
   * Replaces tracing keys ({@link #TRACING_KEYS}) of the document, checks the result, writes the
   * file atomically, then swaps the snapshots. A JSON {@code null} removes a key.
   */
  public synchronized Outcome updateTracing(JsonNode patch) throws IOException {
    List<String> errors = new ArrayList<>();
    if (patch == null || !patch.isObject()) {
      return new Outcome(false, false, List.of("(body): must be a JSON object with any of "
          + TRACING_KEYS));
    }
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
    if (!errors.isEmpty()) {
      return new Outcome(false, false, errors);
    }
    if (file == null) {
      return new Outcome(false, false,
          List.of("(config): serving the bundled config, there is no file to write; "
              + "start with --config FILE"));
    }
    MeshConfig config;
    try {
      config = ConfigParser.parse(next, baseDir());
    } catch (ConfigException e) {
      return new Outcome(false, false, e.errors());
    }
    ControlPlane.Prepared p = plane.prepare(config);
    if (!p.errors().isEmpty()) {
      return new Outcome(false, false, p.errors());
    }
    byte[] bytes = ConfigParser.writeYaml(next).getBytes(StandardCharsets.UTF_8);
    AtomicFileWriter.write(file, bytes, progress);
    String hash = hash(bytes);
    plane.commit(p);
    document = next;
    appliedHash = hash;
    seenHash = hash;
    lastErrors = List.of();
    LOG.info("tracing changed through the admin API; {} written", file);
    return new Outcome(true, true, List.of());
  }

  private Path baseDir() {
    return file == null ? null : file.toAbsolutePath().getParent();
  }

  private static String hash(byte[] bytes) {
    return Hashing.sha256().hashBytes(bytes).toString();
  }
}
