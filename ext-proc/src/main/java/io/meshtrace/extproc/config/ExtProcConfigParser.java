package io.meshtrace.extproc.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshtrace.context.EdgeSampling;
import io.meshtrace.context.HttpToken;
import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.config.ConfigDuration;
import io.meshtrace.context.config.ConfigProblemsException;
import io.meshtrace.context.config.HostName;
import io.meshtrace.context.config.TraceHeaderNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds an {@link ExtProcConfig} from three layers, later ones winning: the bundled defaults
 * ({@code ext-proc.yaml} on the classpath, the same file as {@code ext-proc/config/ext-proc.yaml}),
 * an optional YAML file, and command-line flags.
 *
 * <p>Every setting has a dotted key path ({@code repair.output-formats}); a flag
 * {@code --repair.output-formats w3c,b3multi} (or {@code --key=value}) overrides it. Shortcuts:
 * {@code --port} for {@code server.port}, {@code --admin-port} for {@code admin.port},
 * {@code --address} for {@code server.address}. Unknown keys and bad values are rejected, all
 * problems at once, each naming the key, the value and what was expected.
 */
public final class ExtProcConfigParser {

  static final String DEFAULTS_RESOURCE = "/io/meshtrace/extproc/ext-proc.yaml";

  private static final int MAX_PORT = 65535;
  private static final long MAX_DRAIN_MILLIS = Duration.ofHours(1).toMillis();
  private static final int MAX_TRACESTATE_LIMIT = 1 << 20;
  private static final int MAX_STREAMS = 1_000_000;
  private static final int MIN_HEADER_BYTES = 1024;
  private static final int MAX_HEADER_BYTES = 16 << 20;
  private static final int MAX_HEADERS = 100_000;
  private static final int MIN_UNSENT_BYTES = 64 << 10;
  private static final int MAX_UNSENT_BYTES = 1 << 30;

  private final Map<String, String> settings = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();

  private ExtProcConfigParser() {
    readYaml("defaults " + DEFAULTS_RESOURCE, bundledDefaults(), true);
  }

  /** The bundled defaults. */
  public static ExtProcConfig defaults() {
    try {
      return new ExtProcConfigParser().build();
    } catch (ConfigProblemsException e) {
      throw new IllegalStateException("bundled defaults are invalid: " + e.getMessage(), e);
    }
  }

  /**
   * Every key with its bundled default, in the order of the defaults file: the keys a
   * {@code --<key> VALUE} flag may set.
   */
  public static Map<String, String> defaultSettings() {
    return java.util.Collections.unmodifiableMap(
        new LinkedHashMap<>(new ExtProcConfigParser().settings));
  }

  /**
   * Parses the {@code serve} options: {@code --config FILE}, {@code --port N},
   * {@code --admin-port N}, {@code --address A} and {@code --<key> VALUE} for any key.
   */
  public static ExtProcConfig fromArgs(String... args) throws ConfigProblemsException {
    ExtProcConfigParser parser = new ExtProcConfigParser();
    Map<String, String> flags = new LinkedHashMap<>();
    String configFile = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || arg.length() == 2) {
        parser.problems.add(arg + ": unexpected argument, options look like --key value");
        continue;
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        parser.problems.add("--" + name + ": needs a value");
        continue;
      }
      switch (name) {
        case "config" -> configFile = value;
        case "port" -> flags.put("server.port", value);
        case "admin-port" -> flags.put("admin.port", value);
        case "address" -> flags.put("server.address", value);
        default -> {
          if (parser.settings.containsKey(name)) {
            flags.put(name, value);
          } else {
            parser.problems.add("--" + name + ": unknown option; keys are " + parser.settings.keySet()
                + " plus --config, --port, --admin-port, --address");
          }
        }
      }
    }
    if (configFile != null) {
      parser.readFile(Path.of(configFile));
    }
    parser.settings.putAll(flags);
    return parser.build();
  }

  /** Parses the defaults overlaid with one YAML document. */
  public static ExtProcConfig fromYaml(String source, String yaml) throws ConfigProblemsException {
    ExtProcConfigParser parser = new ExtProcConfigParser();
    parser.readYaml(source, yaml, false);
    return parser.build();
  }

  private static String bundledDefaults() {
    try (InputStream in = ExtProcConfigParser.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing classpath resource " + DEFAULTS_RESOURCE);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void readFile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      problems.add("--config=" + file + ": cannot read the file (" + e + ")");
      return;
    }
    readYaml(file.toString(), text, false);
  }

  private void readYaml(String source, String yaml, boolean defining) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(yaml);
    } catch (JacksonException e) {
      problems.add(source + ": not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
      return;
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return; // an empty file changes nothing
    }
    if (!root.isObject()) {
      problems.add(source + ": must be a YAML mapping of sections (server, admin, tls, repair, "
          + "marker, limits), got " + root.getNodeType().name().toLowerCase(Locale.ROOT));
      return;
    }
    flatten("", root, source, defining);
  }

  private void flatten(String prefix, JsonNode node, String source, boolean defining) {
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
      JsonNode value = field.getValue();
      if (value.isObject()) {
        if (!defining && !isSection(key)) {
          problems.add(key + ": unknown key in " + source);
        } else {
          flatten(key, value, source, defining);
        }
        continue;
      }
      if (!defining && !settings.containsKey(key)) {
        problems.add(key + ": unknown key in " + source + "; known keys are " + settings.keySet());
        continue;
      }
      if (value.isArray()) {
        StringBuilder joined = new StringBuilder();
        boolean scalars = true;
        for (JsonNode element : value) {
          if (element.isContainerNode()) {
            scalars = false;
            break;
          }
          if (joined.length() > 0) {
            joined.append(',');
          }
          joined.append(element.asText());
        }
        if (!scalars) {
          problems.add(key + "=" + value + ": must be a list of plain values");
          continue;
        }
        settings.put(key, joined.toString());
      } else if (value.isNull()) {
        settings.put(key, "");
      } else {
        settings.put(key, value.asText());
      }
    }
  }

  private boolean isSection(String key) {
    String prefix = key + ".";
    for (String known : settings.keySet()) {
      if (known.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private ExtProcConfig build() throws ConfigProblemsException {
    String grpcAddress = address("server.address");
    int grpcPort = integer("server.port", 0, MAX_PORT);
    Duration drain = duration("server.drain-timeout");
    String adminAddress = address("admin.address");
    int adminPort = integer("admin.port", 0, MAX_PORT);
    ExtProcConfig.Tls tls = tls();

    Set<PropagationFormat> formats = formats("repair.output-formats");
    PropagationFormat winner = format("repair.winner");
    boolean addRequestId = bool("repair.add-request-id");
    EdgeSampling edgeSampling = edgeSampling("repair.edge-sampling");
    int tracestateLimit =
        integer("repair.tracestate-limit", RepairPolicy.MIN_TRACESTATE_LIMIT, MAX_TRACESTATE_LIMIT);
    boolean startTrace = bool("repair.start-trace-when-absent");
    double newTraceSampling = percent("repair.new-trace-sampling-percent");

    boolean markerOn = bool("marker.enabled");
    String marker = markerOn ? headerName("marker.header") : null;

    int maxStreams = integer("limits.max-concurrent-streams", 1, MAX_STREAMS);
    // A per-connection limit above the server-wide one means the server-wide one.
    int maxStreamsPerConnection =
        Math.min(maxStreams, integer("limits.max-streams-per-connection", 1, MAX_STREAMS));
    int maxUnsentBytes =
        integer("limits.max-unsent-bytes-per-connection", MIN_UNSENT_BYTES, MAX_UNSENT_BYTES);
    int maxHeaderBytes = integer("limits.max-header-bytes", MIN_HEADER_BYTES, MAX_HEADER_BYTES);
    int maxHeaders = integer("limits.max-headers", 1, MAX_HEADERS);
    Duration firstMessageTimeout = positiveDuration("limits.first-message-timeout", "10s");
    Duration streamIdleTimeout = positiveDuration("limits.stream-idle-timeout", "60s");

    if (!problems.isEmpty()) {
      throw new ConfigProblemsException(problems);
    }
    RepairPolicy policy = new RepairPolicy(
        formats, winner, addRequestId, edgeSampling, tracestateLimit, startTrace, newTraceSampling);
    return new ExtProcConfig(grpcAddress, grpcPort, adminAddress, adminPort, drain, tls, policy,
        marker, maxStreams, maxStreamsPerConnection, maxUnsentBytes, maxHeaderBytes, maxHeaders,
        firstMessageTimeout, streamIdleTimeout);
  }

  private String value(String key) {
    String value = settings.get(key);
    return value == null ? "" : value.trim();
  }

  private void problem(String key, String expected) {
    problems.add(key + "=" + settings.get(key) + ": " + expected);
  }

  private String address(String key) {
    String value = value(key);
    if (!HostName.isValid(value)) {
      problem(key, HostName.EXPECTED);
    }
    return value;
  }

  private int integer(String key, int min, int max) {
    String value = value(key);
    try {
      int parsed = Integer.parseInt(value);
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below with the expected range
    }
    problem(key, "must be an integer between " + min + " and " + max);
    return min;
  }

  private double percent(String key) {
    String value = value(key);
    boolean plainNumber = !value.isEmpty() && value.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    if (plainNumber) {
      try {
        double parsed = Double.parseDouble(value);
        if (parsed >= 0 && parsed <= 100) {
          return parsed;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    problem(key, "must be a number between 0 and 100");
    return RepairPolicy.DEFAULT_NEW_TRACE_SAMPLING_PERCENT;
  }

  private boolean bool(String key) {
    String value = value(key);
    if (value.equals("true")) {
      return true;
    }
    if (!value.equals("false")) {
      problem(key, "must be true or false");
    }
    return false;
  }

  private Duration duration(String key) {
    Duration d = ConfigDuration.parse(value(key));
    if (d != null && d.toMillis() <= MAX_DRAIN_MILLIS) {
      return d;
    }
    problem(key, d == null ? ConfigDuration.EXPECTED : "must be a duration of at most 1h");
    return Duration.ZERO;
  }

  private Duration positiveDuration(String key, String example) {
    int problemsBefore = problems.size();
    Duration duration = duration(key);
    if (duration.isZero() && problems.size() == problemsBefore) {
      problem(key, "must be longer than 0, e.g. " + example);
    }
    return duration;
  }

  private PropagationFormat format(String key) {
    PropagationFormat format = PropagationFormat.fromConfigName(value(key));
    if (format == null) {
      problem(key, "must be one of w3c, b3multi, b3single");
      return PropagationFormat.B3_MULTI;
    }
    return format;
  }

  private Set<PropagationFormat> formats(String key) {
    Set<PropagationFormat> formats = EnumSet.noneOf(PropagationFormat.class);
    String list = value(key);
    for (int start = 0, end; start <= list.length(); start = end + 1) {
      end = list.indexOf(',', start);
      if (end < 0) {
        end = list.length();
      }
      String trimmed = list.substring(start, end).trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      PropagationFormat format = PropagationFormat.fromConfigName(trimmed);
      if (format == null) {
        problem(key, "unknown format '" + trimmed + "': must be a list of w3c, b3multi, b3single");
        return EnumSet.of(PropagationFormat.W3C);
      }
      formats.add(format);
    }
    if (formats.isEmpty()) {
      problem(key, "must name at least one of w3c, b3multi, b3single");
      return EnumSet.of(PropagationFormat.W3C);
    }
    return formats;
  }

  private EdgeSampling edgeSampling(String key) {
    EdgeSampling policy = EdgeSampling.fromConfigName(value(key));
    if (policy == null) {
      problem(key, "must be one of trust, defer, deny-forced");
      return EdgeSampling.TRUST;
    }
    return policy;
  }

  private String headerName(String key) {
    String value = value(key);
    if (!HttpToken.isLowerCaseToken(value)) {
      problem(key, "must be a lower-case HTTP header name such as x-meshtrace-repair");
    } else if (HeaderNames.isProtected(value)) {
      problem(key, "Envoy does not let ext_proc set pseudo-headers, host or x-envoy-* headers");
    } else if (TraceHeaderNames.contains(value)) {
      problem(key, "is a trace context header the repair itself writes; choose another name");
    }
    return value;
  }

  private ExtProcConfig.Tls tls() {
    String cert = value("tls.cert-chain");
    String key = value("tls.private-key");
    String ca = value("tls.client-ca");
    if (cert.isEmpty() && key.isEmpty()) {
      if (!ca.isEmpty()) {
        problem("tls.client-ca", "needs tls.cert-chain and tls.private-key to be set too");
      }
      return null;
    }
    if (cert.isEmpty()) {
      problem("tls.cert-chain", "required when tls.private-key is set");
    }
    if (key.isEmpty()) {
      problem("tls.private-key", "required when tls.cert-chain is set");
    }
    Path certPath = readableFile("tls.cert-chain", cert);
    Path keyPath = readableFile("tls.private-key", key);
    Path caPath = ca.isEmpty() ? null : readableFile("tls.client-ca", ca);
    if (certPath == null || keyPath == null) {
      return null;
    }
    return new ExtProcConfig.Tls(certPath, keyPath, caPath);
  }

  private Path readableFile(String key, String value) {
    if (value.isEmpty()) {
      return null;
    }
    Path path = Path.of(value);
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      problem(key, "must be a readable PEM file; not found or not readable");
      return null;
    }
    return path;
  }
}
