package io.meshtrace.xds.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.meshtrace.context.HttpToken;
import io.meshtrace.context.MeshPropagation;
import io.meshtrace.xds.config.MeshConfig.CustomTag;
import io.meshtrace.xds.config.MeshConfig.Endpoint;
import io.meshtrace.xds.config.MeshConfig.Header;
import io.meshtrace.xds.config.MeshConfig.MetadataKind;
import io.meshtrace.xds.config.MeshConfig.Mode;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Propagation;
import io.meshtrace.xds.config.MeshConfig.Protocol;
import io.meshtrace.xds.config.MeshConfig.Provider;
import io.meshtrace.xds.config.MeshConfig.Route;
import io.meshtrace.xds.config.MeshConfig.RouteTracing;
import io.meshtrace.xds.config.MeshConfig.Service;
import io.meshtrace.xds.config.MeshConfig.TagKind;
import io.meshtrace.xds.config.MeshConfig.TracingRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the mesh YAML (field names follow Istio's {@code extensionProviders}, Telemetry
 * {@code tracing} and ServiceEntry {@code ports}/{@code endpoints}) into a {@link MeshConfig}.
 *
 * <p>All problems are collected, not just the first; each names the key path, the value and what
 * was expected. Unknown keys are errors, so a typo never silently falls back to a default.
 */
public final class ConfigParser {

  private static final ObjectMapper YAML = new ObjectMapper(
      new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Default Istio random sampling percentage when no rule sets one. */
  public static final double DEFAULT_RANDOM_SAMPLING = 1.0;

  private final Path baseDir;
  private final List<String> errors = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private final Set<String> declaredProviders = new HashSet<>();

  private ConfigParser(Path baseDir) {
    this.baseDir = baseDir;
  }

  /**
   * Parses YAML text. Relative file paths (TLS material, token file) resolve against
   * {@code baseDir}.
   */
  public static MeshConfig parse(String yaml, Path baseDir) throws ConfigException {
    return parse(readTree(yaml), baseDir);
  }

  /** Parses an already read YAML or JSON tree. */
  public static MeshConfig parse(JsonNode root, Path baseDir) throws ConfigException {
    ConfigParser p = new ConfigParser(baseDir);
    MeshConfig config = p.root(root);
    if (!p.errors.isEmpty()) {
      throw new ConfigException(p.errors);
    }
    return config;
  }

  /** Reads YAML text into a tree; syntax errors name the line. */
  public static JsonNode readTree(String yaml) throws ConfigException {
    try {
      JsonNode node = YAML.readTree(yaml);
      if (node == null || node.isMissingNode() || node.isNull()) {
        return JSON.createObjectNode();
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ConfigException(List.of("yaml: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")")));
    }
  }

  /** Reads JSON text into a tree. */
  public static JsonNode readJson(String json) throws ConfigException {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ConfigException(List.of("json: " + e.getOriginalMessage()));
    }
  }

  /** Writes a tree as YAML. */
  public static String writeYaml(JsonNode tree) {
    try {
      return YAML.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes a tree as pretty JSON. */
  public static String writeJson(JsonNode tree) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new empty JSON object node. */
  public static ObjectNode newObject() {
    return JSON.createObjectNode();
  }

  // ---------------------------------------------------------------- root

  private MeshConfig root(JsonNode root) {
    ObjectNode o = object(root, "", Set.of("meshVersion", "propagation", "defaultProviders",
        "extensionProviders", "tracing", "services", "sidecar", "gateway", "server"));
    if (o == null) {
      return null;
    }
    String meshVersion = string(o, "meshVersion", "meshVersion", false);
    if (meshVersion != null && !MeshPropagation.isVersion(meshVersion)) {
      error("meshVersion", meshVersion, "must be a dotted version such as 1.18.0.124");
      meshVersion = null;
    }
    Propagation propagation;
    boolean explicit = false;
    String prop = string(o, "propagation", "propagation", false);
    if (prop != null) {
      explicit = true;
      try {
        propagation = Propagation.parse(prop);
      } catch (IllegalArgumentException e) {
        error("propagation", prop, e.getMessage());
        propagation = Propagation.W3C;
      }
    } else if (meshVersion != null) {
      propagation = Propagation.forMeshVersion(meshVersion);
    } else {
      propagation = Propagation.W3C;
    }

    List<Provider> providers = providers(o.get("extensionProviders"));
    // Names of broken providers count as declared: their own errors say what is wrong.
    Set<String> providerNames = declaredProviders;

    List<String> defaultProviders = new ArrayList<>();
    JsonNode dp = o.get("defaultProviders");
    if (dp != null) {
      ObjectNode dpo = object(dp, "defaultProviders", Set.of("tracing"));
      if (dpo != null && dpo.get("tracing") != null) {
        List<JsonNode> names = list(dpo.get("tracing"), "defaultProviders.tracing");
        for (int i = 0; i < names.size(); i++) {
          String path = "defaultProviders.tracing[" + i + "]";
          String name = scalarString(names.get(i), path);
          if (name != null && !providerNames.contains(name)) {
            error(path, name, "unknown provider; defined: " + sorted(providerNames));
          } else if (name != null) {
            defaultProviders.add(name);
          }
        }
        if (defaultProviders.size() > 1) {
          error("defaultProviders.tracing", defaultProviders.toString(),
              "Envoy traces to one provider: name exactly one");
        }
      }
    }

    List<Service> services = services(o.get("services"));
    Set<String> serviceNames = new HashSet<>();
    services.forEach(s -> serviceNames.add(s.name()));
    for (Service s : services) {
      if (s.dependencies() != null) {
        for (int i = 0; i < s.dependencies().size(); i++) {
          String dep = s.dependencies().get(i);
          if (!serviceNames.contains(dep)) {
            error(s.path() + ".dependencies[" + i + "]", dep,
                "unknown service; defined: " + sorted(serviceNames));
          }
        }
      }
    }

    List<TracingRule> tracing = tracing(o.get("tracing"), providerNames, serviceNames);
    boolean anyProvider = !defaultProviders.isEmpty();
    for (TracingRule r : tracing) {
      anyProvider |= r.provider() != null;
    }
    if (!tracing.isEmpty() && !anyProvider) {
      error("tracing", "(no provider)",
          "name a provider in defaultProviders.tracing or tracing[].providers");
    }
    Set<String> used = new HashSet<>(defaultProviders);
    tracing.forEach(r -> {
      if (r.provider() != null) {
        used.add(r.provider());
      }
    });
    List<Provider> inUse = new ArrayList<>();
    providers.forEach(p -> {
      if (used.contains(p.name())) {
        inUse.add(p);
      }
    });
    checkPropagation(inUse, propagation, explicit);

    MeshConfig.Sidecar sidecar = sidecar(o.get("sidecar"));
    MeshConfig.Gateway gateway = gateway(o.get("gateway"), services);
    MeshConfig.Server server = server(o.get("server"));
    return new MeshConfig(meshVersion, propagation, explicit, List.copyOf(providers),
        List.copyOf(defaultProviders), List.copyOf(tracing), List.copyOf(services), sidecar,
        gateway, server, List.copyOf(warnings));
  }

  /**
   * Envoy v1.34's Zipkin tracer reads and writes only B3, its OpenTelemetry tracer only W3C
   * traceparent: a provider in use that cannot carry the mesh's format breaks every trace at the
   * proxy. Providers that no rule uses are not checked.
   */
  private void checkPropagation(List<Provider> providers, Propagation propagation,
      boolean explicit) {
    for (Provider p : providers) {
      String problem = null;
      if (p instanceof MeshConfig.Zipkin && propagation == Propagation.W3C) {
        problem = "Envoy's zipkin tracer propagates only b3; use an opentelemetry provider for w3c";
      } else if ((p instanceof MeshConfig.OpenTelemetryGrpc
          || p instanceof MeshConfig.OpenTelemetryHttp)
          && propagation == Propagation.B3) {
        problem = "Envoy's opentelemetry tracer propagates only w3c; use a zipkin provider for b3";
      }
      if (problem != null) {
        if (explicit) {
          error("propagation", propagation.configName(), problem + " (" + p.path() + ")");
        } else {
          warnings.add("propagation=" + propagation.configName() + " (from meshVersion): "
              + problem + " (" + p.path() + ")");
        }
      }
    }
  }

  // ----------------------------------------------------------- providers

  private List<Provider> providers(JsonNode node) {
    List<Provider> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    Set<String> names = new HashSet<>();
    List<JsonNode> items = list(node, "extensionProviders");
    for (int i = 0; i < items.size(); i++) {
      String path = "extensionProviders[" + i + "]";
      ObjectNode o = object(items.get(i), path,
          Set.of("name", "opentelemetry", "zipkin", "skywalking", "datadog"));
      if (o == null) {
        continue;
      }
      String name = string(o, "name", path + ".name", true);
      if (name != null && !names.add(name)) {
        error(path + ".name", name, "duplicate provider name");
      }
      if (name != null) {
        declaredProviders.add(name);
      }
      List<String> kinds = new ArrayList<>();
      o.fieldNames().forEachRemaining(k -> {
        if (!k.equals("name")) {
          kinds.add(k);
        }
      });
      if (kinds.size() != 1) {
        error(path, kinds.isEmpty() ? "(none)" : kinds.toString(),
            "set exactly one of opentelemetry, zipkin, skywalking, datadog");
        continue;
      }
      String kind = kinds.get(0);
      String kp = path + "." + kind;
      Provider p;
      switch (kind) {
        case "opentelemetry":
          p = openTelemetry(o.get(kind), name, kp);
          break;
        case "zipkin":
          p = zipkin(o.get(kind), name, kp);
          break;
        case "skywalking":
          p = skyWalking(o.get(kind), name, kp);
          break;
        default:
          p = datadog(o.get(kind), name, kp);
          break;
      }
      if (p != null && name != null) {
        out.add(p);
      }
    }
    return out;
  }

  private Provider openTelemetry(JsonNode node, String name, String path) {
    ObjectNode o = object(node, path, Set.of("service", "port", "maxTagLength", "http", "grpc"));
    if (o == null) {
      return null;
    }
    String host = host(o, path);
    Integer port = port(o, "port", path + ".port", true);
    Integer maxTag = integer(o, "maxTagLength", path + ".maxTagLength", false, 1, 65535);
    if (o.has("http") && o.has("grpc")) {
      error(path, "http+grpc", "set at most one of http, grpc");
      return null;
    }
    if (o.has("http")) {
      String hp = path + ".http";
      ObjectNode h = object(o.get("http"), hp, Set.of("path", "timeout", "headers"));
      if (h == null) {
        return null;
      }
      String httpPath = httpPath(h, "path", hp + ".path", "/");
      Duration timeout = duration(h, "timeout", hp + ".timeout", Duration.ofSeconds(5), true);
      List<Header> headers = headers(h.get("headers"), hp + ".headers", false);
      return host == null || port == null ? null
          : new MeshConfig.OpenTelemetryHttp(name, path, host, port, maxTag, httpPath, timeout,
              headers);
    }
    Duration timeout = null;
    List<Header> metadata = List.of();
    if (o.has("grpc")) {
      String gp = path + ".grpc";
      ObjectNode g = object(o.get("grpc"), gp, Set.of("timeout", "initialMetadata"));
      if (g == null) {
        return null;
      }
      timeout = duration(g, "timeout", gp + ".timeout", null, true);
      metadata = headers(g.get("initialMetadata"), gp + ".initialMetadata", true);
    }
    return host == null || port == null ? null
        : new MeshConfig.OpenTelemetryGrpc(name, path, host, port, maxTag, timeout, metadata);
  }

  private Provider zipkin(JsonNode node, String name, String path) {
    ObjectNode o = object(node, path, Set.of("service", "port", "path", "maxTagLength",
        "enable64bitTraceId", "encoding"));
    if (o == null) {
      return null;
    }
    String host = host(o, path);
    Integer port = port(o, "port", path + ".port", true);
    Integer maxTag = integer(o, "maxTagLength", path + ".maxTagLength", false, 1, 65535);
    String httpPath = httpPath(o, "path", path + ".path", "/api/v2/spans");
    Boolean bit64 = bool(o, "enable64bitTraceId", path + ".enable64bitTraceId");
    String encoding = string(o, "encoding", path + ".encoding", false);
    boolean proto = false;
    if (encoding != null) {
      switch (encoding.toLowerCase(Locale.ROOT)) {
        case "json":
          break;
        case "proto":
        case "protobuf":
          proto = true;
          break;
        default:
          error(path + ".encoding", encoding, "must be one of json, proto");
      }
    }
    return host == null || port == null ? null
        : new MeshConfig.Zipkin(name, path, host, port, maxTag, httpPath, proto,
            bit64 == null || !bit64);
  }

  private Provider skyWalking(JsonNode node, String name, String path) {
    ObjectNode o = object(node, path, Set.of("service", "port", "accessToken", "maxTagLength"));
    if (o == null) {
      return null;
    }
    String host = host(o, path);
    Integer port = port(o, "port", path + ".port", true);
    Integer maxTag = integer(o, "maxTagLength", path + ".maxTagLength", false, 1, 65535);
    String token = string(o, "accessToken", path + ".accessToken", false);
    if (token != null && (token.isEmpty() || hasControl(token))) {
      error(path + ".accessToken", "(hidden)", "must be non-empty without control characters");
    }
    return host == null || port == null ? null
        : new MeshConfig.SkyWalking(name, path, host, port, maxTag, token);
  }

  private Provider datadog(JsonNode node, String name, String path) {
    ObjectNode o = object(node, path, Set.of("service", "port", "maxTagLength"));
    if (o == null) {
      return null;
    }
    String host = host(o, path);
    Integer port = port(o, "port", path + ".port", true);
    Integer maxTag = integer(o, "maxTagLength", path + ".maxTagLength", false, 1, 65535);
    return host == null || port == null ? null
        : new MeshConfig.Datadog(name, path, host, port, maxTag);
  }

  private String host(ObjectNode o, String path) {
    String host = string(o, "service", path + ".service", true);
    if (host != null && !isHost(host)) {
      error(path + ".service", host, "must be a host name or IP address");
      return null;
    }
    return host;
  }

  private String httpPath(ObjectNode o, String key, String path, String dflt) {
    String v = string(o, key, path, false);
    if (v == null) {
      return dflt;
    }
    if (!v.startsWith("/") || hasControl(v) || v.indexOf(' ') >= 0 || v.indexOf('#') >= 0) {
      error(path, v, "must be an absolute path starting with / without spaces");
      return dflt;
    }
    return v;
  }

  private List<Header> headers(JsonNode node, String path, boolean grpcMetadata) {
    List<Header> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    List<JsonNode> items = list(node, path);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String p = path + "[" + i + "]";
      ObjectNode o = object(items.get(i), p, Set.of("name", "value"));
      if (o == null) {
        continue;
      }
      String name = string(o, "name", p + ".name", true);
      String value = string(o, "value", p + ".value", true);
      boolean ok = true;
      if (name != null && !HttpToken.isToken(name)) {
        error(p + ".name", name, "must be an HTTP header name (letters, digits, -, _, ...;"
            + " no spaces or colons)");
        ok = false;
      } else if (name != null && grpcMetadata && !name.equals(name.toLowerCase(Locale.ROOT))) {
        error(p + ".name", name, "gRPC metadata keys must be lower case");
        ok = false;
      } else if (name != null && !seen.add(name.toLowerCase(Locale.ROOT))) {
        error(p + ".name", name, "duplicate header");
        ok = false;
      }
      if (value != null && hasControl(value)) {
        error(p + ".value", escape(value), "must not contain control characters (CR, LF, ...)");
        ok = false;
      }
      if (ok && name != null && value != null) {
        out.add(new Header(name, value));
      }
    }
    return List.copyOf(out);
  }

  // ------------------------------------------------------------- tracing

  private List<TracingRule> tracing(JsonNode node, Set<String> providers, Set<String> services) {
    List<TracingRule> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    List<JsonNode> items = list(node, "tracing");
    for (int i = 0; i < items.size(); i++) {
      String path = "tracing[" + i + "]";
      ObjectNode o = object(items.get(i), path, Set.of("selector", "match", "providers",
          "randomSamplingPercentage", "clientSamplingPercentage", "overallSamplingPercentage",
          "useRequestIdForTraceSampling", "maxPathTagLength", "verbose", "disableSpanReporting",
          "customTags"));
      if (o == null) {
        continue;
      }
      List<String> selected = List.of();
      if (o.has("selector")) {
        ObjectNode sel = object(o.get("selector"), path + ".selector", Set.of("services"));
        if (sel != null && sel.has("services")) {
          List<String> names = new ArrayList<>();
          List<JsonNode> sn = list(sel.get("services"), path + ".selector.services");
          for (int j = 0; j < sn.size(); j++) {
            String sp = path + ".selector.services[" + j + "]";
            String name = scalarString(sn.get(j), sp);
            if (name != null && !services.contains(name)) {
              error(sp, name, "unknown service; defined: " + sorted(services));
            } else if (name != null) {
              names.add(name);
            }
          }
          selected = List.copyOf(names);
        }
      }
      Mode mode = Mode.CLIENT_AND_SERVER;
      if (o.has("match")) {
        ObjectNode m = object(o.get("match"), path + ".match", Set.of("mode"));
        String ms = m == null ? null : string(m, "mode", path + ".match.mode", false);
        if (ms != null) {
          try {
            mode = Mode.valueOf(ms.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            error(path + ".match.mode", ms, "must be one of CLIENT, SERVER, CLIENT_AND_SERVER");
          }
        }
      }
      String provider = null;
      if (o.has("providers")) {
        List<JsonNode> ps = list(o.get("providers"), path + ".providers");
        if (ps.size() > 1) {
          error(path + ".providers", ps.size() + " providers",
              "Envoy traces to one provider: name exactly one");
        }
        for (int j = 0; j < ps.size(); j++) {
          String pp = path + ".providers[" + j + "]";
          ObjectNode po = object(ps.get(j), pp, Set.of("name"));
          String name = po == null ? null : string(po, "name", pp + ".name", true);
          if (name != null && !providers.contains(name)) {
            error(pp + ".name", name, "unknown provider; defined: " + sorted(providers));
          } else if (name != null && provider == null) {
            provider = name;
          }
        }
      }
      out.add(new TracingRule(path, selected, mode, provider,
          percent(o, "randomSamplingPercentage", path),
          percent(o, "clientSamplingPercentage", path),
          percent(o, "overallSamplingPercentage", path),
          bool(o, "useRequestIdForTraceSampling", path + ".useRequestIdForTraceSampling"),
          integer(o, "maxPathTagLength", path + ".maxPathTagLength", false, 1, 65535),
          bool(o, "verbose", path + ".verbose"),
          bool(o, "disableSpanReporting", path + ".disableSpanReporting"),
          customTags(o.get("customTags"), path + ".customTags")));
    }
    return out;
  }

  private Map<String, CustomTag> customTags(JsonNode node, String path) {
    if (node == null) {
      return null;
    }
    if (!node.isObject()) {
      error(path, node.toString(), "must be a mapping of tag name to literal, environment, "
          + "header or metadata");
      return null;
    }
    Map<String, CustomTag> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String tag = e.getKey();
      String tp = path + "." + tag;
      if (hasControl(tag) || tag.isBlank()) {
        error(tp, escape(tag), "tag name must be non-empty without control characters");
        continue;
      }
      ObjectNode o = object(e.getValue(), tp, Set.of("literal", "environment", "header",
          "metadata"));
      if (o == null) {
        continue;
      }
      if (o.size() != 1) {
        error(tp, o.size() == 0 ? "(none)" : fieldNames(o).toString(),
            "set exactly one of literal, environment, header, metadata");
        continue;
      }
      String kind = o.fieldNames().next();
      String kp = tp + "." + kind;
      switch (kind) {
        case "literal": {
          ObjectNode l = object(o.get(kind), kp, Set.of("value"));
          String value = l == null ? null : string(l, "value", kp + ".value", true);
          if (value != null && hasControl(value)) {
            error(kp + ".value", escape(value), "must not contain control characters");
          } else if (value != null) {
            out.put(tag, new CustomTag(kp, tag, TagKind.LITERAL, value, null, null, null, null,
                null));
          }
          break;
        }
        case "environment": {
          ObjectNode en = object(o.get(kind), kp, Set.of("name", "defaultValue"));
          if (en != null) {
            String name = string(en, "name", kp + ".name", true);
            String dflt = string(en, "defaultValue", kp + ".defaultValue", false);
            if (name != null) {
              out.put(tag, new CustomTag(kp, tag, TagKind.ENVIRONMENT, null, name, dflt, null,
                  null, null));
            }
          }
          break;
        }
        case "header": {
          ObjectNode h = object(o.get(kind), kp, Set.of("name", "defaultValue"));
          if (h != null) {
            String name = string(h, "name", kp + ".name", true);
            String dflt = string(h, "defaultValue", kp + ".defaultValue", false);
            if (name != null && !HttpToken.isToken(name)) {
              error(kp + ".name", name, "must be an HTTP header name (no spaces or colons)");
            } else if (name != null) {
              out.put(tag, new CustomTag(kp, tag, TagKind.HEADER, null, name, dflt, null, null,
                  null));
            }
          }
          break;
        }
        default: {
          ObjectNode m = object(o.get(kind), kp, Set.of("kind", "key", "path", "defaultValue"));
          if (m == null) {
            break;
          }
          String ks = string(m, "kind", kp + ".kind", false);
          MetadataKind mk = MetadataKind.REQUEST;
          if (ks != null) {
            try {
              mk = MetadataKind.valueOf(ks.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException ex) {
              error(kp + ".kind", ks, "must be one of request, route, cluster, host");
            }
          }
          String key = string(m, "key", kp + ".key", false);
          List<String> segs = new ArrayList<>();
          if (m.has("path")) {
            List<JsonNode> ps = list(m.get("path"), kp + ".path");
            for (int j = 0; j < ps.size(); j++) {
              String s = scalarString(ps.get(j), kp + ".path[" + j + "]");
              if (s != null) {
                segs.add(s);
              }
            }
          }
          String dflt = string(m, "defaultValue", kp + ".defaultValue", false);
          // key and path are left to Envoy's own rules (MetadataKey.key min_len 1, path
          // min_items 1): the snapshot check reports them under this path.
          out.put(tag, new CustomTag(kp, tag, TagKind.METADATA, null, null, dflt, mk,
              key == null ? "" : key, List.copyOf(segs)));
        }
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private Double percent(ObjectNode o, String key, String parent) {
    JsonNode n = o.get(key);
    String path = parent + "." + key;
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isNumber()) {
      error(path, n.asText(), "must be a number between 0 and 100");
      return null;
    }
    double v = n.asDouble();
    if (!(v >= 0 && v <= 100)) {
      error(path, n.asText(), "must be between 0 and 100");
      return null;
    }
    return v;
  }

  // ------------------------------------------------------------ services

  private List<Service> services(JsonNode node) {
    List<Service> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    Set<String> names = new HashSet<>();
    List<JsonNode> items = list(node, "services");
    for (int i = 0; i < items.size(); i++) {
      String path = "services[" + i + "]";
      ObjectNode o = object(items.get(i), path,
          Set.of("name", "hosts", "ports", "endpoints", "dependencies", "routes"));
      if (o == null) {
        continue;
      }
      String name = string(o, "name", path + ".name", true);
      if (name != null && !isDnsName(name)) {
        error(path + ".name", name, "must be a DNS name (lower-case letters, digits, '-', '.')");
        name = null;
      } else if (name != null && !names.add(name)) {
        error(path + ".name", name, "duplicate service");
        name = null;
      }
      List<String> hosts = new ArrayList<>();
      if (o.has("hosts")) {
        List<JsonNode> hs = list(o.get("hosts"), path + ".hosts");
        for (int j = 0; j < hs.size(); j++) {
          String h = scalarString(hs.get(j), path + ".hosts[" + j + "]");
          if (h != null && !isHost(h)) {
            error(path + ".hosts[" + j + "]", h, "must be a host name");
          } else if (h != null) {
            hosts.add(h);
          }
        }
      }
      List<Port> ports = ports(o.get("ports"), path + ".ports");
      List<Endpoint> endpoints = endpoints(o.get("endpoints"), path + ".endpoints", ports);
      List<String> deps = null;
      if (o.has("dependencies")) {
        deps = new ArrayList<>();
        List<JsonNode> ds = list(o.get("dependencies"), path + ".dependencies");
        for (int j = 0; j < ds.size(); j++) {
          String d = scalarString(ds.get(j), path + ".dependencies[" + j + "]");
          if (d != null) {
            deps.add(d);
          }
        }
        deps = List.copyOf(deps);
      }
      List<Route> routes = routes(o.get("routes"), path + ".routes");
      if (name != null) {
        out.add(new Service(path, name, List.copyOf(hosts), ports, endpoints, deps, routes));
      }
    }
    return out;
  }

  private List<Port> ports(JsonNode node, String path) {
    List<Port> out = new ArrayList<>();
    if (node == null) {
      error(path, "(missing)", "a service needs at least one port");
      return out;
    }
    List<JsonNode> items = list(node, path);
    if (items.isEmpty()) {
      error(path, "[]", "a service needs at least one port");
    }
    Set<String> names = new HashSet<>();
    Set<Integer> numbers = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String p = path + "[" + i + "]";
      ObjectNode o = object(items.get(i), p, Set.of("name", "number", "targetPort", "protocol"));
      if (o == null) {
        continue;
      }
      Integer number = port(o, "number", p + ".number", true);
      Integer target = port(o, "targetPort", p + ".targetPort", false);
      String name = string(o, "name", p + ".name", false);
      if (name == null && number != null) {
        name = "port-" + number;
      }
      if (name != null && !isDnsLabel(name)) {
        error(p + ".name", name, "must be a DNS label (lower-case letters, digits, '-')");
      } else if (name != null && !names.add(name)) {
        error(p + ".name", name, "duplicate port name");
      }
      if (number != null && !numbers.add(number)) {
        error(p + ".number", number.toString(), "duplicate port number");
      }
      String ps = string(o, "protocol", p + ".protocol", false);
      Protocol protocol = Protocol.HTTP;
      if (ps != null) {
        try {
          protocol = Protocol.valueOf(ps.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          error(p + ".protocol", ps, "must be one of HTTP, HTTP2, GRPC");
        }
      }
      if (number != null && name != null) {
        out.add(new Port(p, name, number, target == null ? number : target, protocol));
      }
    }
    return List.copyOf(out);
  }

  private List<Endpoint> endpoints(JsonNode node, String path, List<Port> ports) {
    List<Endpoint> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    Set<String> portNames = new HashSet<>();
    ports.forEach(p -> portNames.add(p.name()));
    List<JsonNode> items = list(node, path);
    for (int i = 0; i < items.size(); i++) {
      String p = path + "[" + i + "]";
      ObjectNode o = object(items.get(i), p, Set.of("address", "ports", "weight"));
      if (o == null) {
        continue;
      }
      String address = string(o, "address", p + ".address", true);
      if (address != null && !isHost(address)) {
        error(p + ".address", address, "must be an IP address or host name");
        address = null;
      }
      Map<String, Integer> ep = new LinkedHashMap<>();
      if (o.has("ports")) {
        JsonNode pn = o.get("ports");
        if (!pn.isObject()) {
          error(p + ".ports", pn.toString(), "must be a mapping of port name to port number");
        } else {
          for (Map.Entry<String, JsonNode> e : pn.properties()) {
            String pp = p + ".ports." + e.getKey();
            if (!portNames.contains(e.getKey())) {
              error(pp, e.getValue().asText(), "unknown port name; defined: "
                  + sorted(portNames));
              continue;
            }
            Integer n = portValue(e.getValue(), pp);
            if (n != null) {
              ep.put(e.getKey(), n);
            }
          }
        }
      }
      Integer weight = integer(o, "weight", p + ".weight", false, 1, 128);
      if (address != null) {
        out.add(new Endpoint(p, address, Collections.unmodifiableMap(ep),
            weight == null ? 1 : weight));
      }
    }
    return List.copyOf(out);
  }

  private List<Route> routes(JsonNode node, String path) {
    List<Route> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    Set<String> names = new HashSet<>();
    List<JsonNode> items = list(node, path);
    for (int i = 0; i < items.size(); i++) {
      String p = path + "[" + i + "]";
      ObjectNode o = object(items.get(i), p, Set.of("name", "prefix", "tracing"));
      if (o == null) {
        continue;
      }
      String name = string(o, "name", p + ".name", false);
      if (name == null) {
        name = "route-" + i;
      } else if (!names.add(name)) {
        error(p + ".name", name, "duplicate route name");
      }
      String prefix = httpPath(o, "prefix", p + ".prefix", "/");
      RouteTracing rt = null;
      if (o.has("tracing")) {
        String tp = p + ".tracing";
        ObjectNode t = object(o.get("tracing"), tp, Set.of("randomSamplingPercentage",
            "clientSamplingPercentage", "overallSamplingPercentage", "customTags"));
        if (t != null) {
          rt = new RouteTracing(tp, percent(t, "randomSamplingPercentage", tp),
              percent(t, "clientSamplingPercentage", tp),
              percent(t, "overallSamplingPercentage", tp),
              customTags(t.get("customTags"), tp + ".customTags"));
        }
      }
      out.add(new Route(p, name, prefix, rt));
    }
    return List.copyOf(out);
  }

  // --------------------------------------------------- sidecar and server

  private MeshConfig.Sidecar sidecar(JsonNode node) {
    int in = 15006;
    int out = 15001;
    if (node != null) {
      ObjectNode o = object(node, "sidecar", Set.of("inboundPort", "outboundPort"));
      if (o != null) {
        Integer i = port(o, "inboundPort", "sidecar.inboundPort", false);
        Integer u = port(o, "outboundPort", "sidecar.outboundPort", false);
        in = i == null ? in : i;
        out = u == null ? out : u;
        if (in == out) {
          error("sidecar.outboundPort", Integer.toString(out), "must differ from inboundPort");
        }
      }
    }
    return new MeshConfig.Sidecar(in, out);
  }

  /** Default ext_proc {@code message_timeout} (Envoy's own default, stated). */
  public static final Duration DEFAULT_EXT_PROC_TIMEOUT = Duration.ofMillis(200);
  /** Default gRPC port of ext-proc. */
  public static final int DEFAULT_EXT_PROC_PORT = 18080;
  /** Default header ext-proc marks repaired requests with. */
  public static final String DEFAULT_MARKER_HEADER = "x-meshtrace-repair";

  private MeshConfig.Gateway gateway(JsonNode node, List<Service> services) {
    String address = "0.0.0.0";
    int port = 8080;
    List<String> hosts = List.of("*");
    List<MeshConfig.GatewayRoute> routes = null;
    MeshConfig.HeaderRepair repair = new MeshConfig.HeaderRepair(false, null,
        DEFAULT_EXT_PROC_PORT, DEFAULT_EXT_PROC_TIMEOUT, true, DEFAULT_MARKER_HEADER);
    ObjectNode o = node == null ? null : object(node, "gateway",
        Set.of("address", "port", "hosts", "routes", "headerRepair"));
    if (o != null) {
      address = address(o, "gateway", address);
      Integer p = port(o, "port", "gateway.port", false);
      port = p == null ? port : p;
      if (o.has("hosts")) {
        List<String> hs = new ArrayList<>();
        List<JsonNode> items = list(o.get("hosts"), "gateway.hosts");
        for (int i = 0; i < items.size(); i++) {
          String path = "gateway.hosts[" + i + "]";
          String h = scalarString(items.get(i), path);
          if (h != null && !h.equals("*") && !isHost(h.startsWith("*.") ? h.substring(2) : h)) {
            error(path, h, "must be *, a host name or *.domain");
          } else if (h != null && hs.contains(h)) {
            error(path, h, "duplicate host");
          } else if (h != null) {
            hs.add(h);
          }
        }
        if (items.isEmpty()) {
          error("gateway.hosts", "[]", "name at least one host (* for any)");
        }
        hosts = List.copyOf(hs);
      }
      if (o.has("routes")) {
        routes = gatewayRoutes(o.get("routes"), services);
      }
      if (o.has("headerRepair")) {
        repair = headerRepair(o.get("headerRepair"), repair);
      }
    }
    if (routes == null) {
      // Default: everything to the first service's first port (productpage in Bookinfo).
      routes = services.isEmpty() || services.get(0).ports().isEmpty() ? List.of()
          : List.of(new MeshConfig.GatewayRoute("gateway.routes", "/",
              services.get(0).name(), services.get(0).ports().get(0).number()));
    }
    return new MeshConfig.Gateway(address, port, hosts, routes, repair);
  }

  private List<MeshConfig.GatewayRoute> gatewayRoutes(JsonNode node, List<Service> services) {
    List<MeshConfig.GatewayRoute> out = new ArrayList<>();
    List<JsonNode> items = list(node, "gateway.routes");
    Set<String> prefixes = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String p = "gateway.routes[" + i + "]";
      ObjectNode o = object(items.get(i), p, Set.of("prefix", "service", "port"));
      if (o == null) {
        continue;
      }
      String prefix = httpPath(o, "prefix", p + ".prefix", "/");
      if (!prefixes.add(prefix)) {
        error(p + ".prefix", prefix, "duplicate prefix (the later route would never match)");
      }
      String name = string(o, "service", p + ".service", true);
      Integer port = port(o, "port", p + ".port", false);
      Service svc = null;
      for (Service s : services) {
        if (s.name().equals(name)) {
          svc = s;
        }
      }
      if (name != null && svc == null) {
        List<String> names = new ArrayList<>();
        services.forEach(s -> names.add(s.name()));
        error(p + ".service", name, "unknown service; defined: " + names);
        continue;
      }
      if (svc == null || svc.ports().isEmpty()) {
        continue;
      }
      if (port != null && svc.ports().stream().noneMatch(x -> x.number() == port)) {
        List<Integer> numbers = new ArrayList<>();
        svc.ports().forEach(x -> numbers.add(x.number()));
        error(p + ".port", port.toString(), "not a port of " + name + "; its ports: " + numbers);
        continue;
      }
      out.add(new MeshConfig.GatewayRoute(p, prefix, name,
          port == null ? svc.ports().get(0).number() : port));
    }
    return List.copyOf(out);
  }

  private MeshConfig.HeaderRepair headerRepair(JsonNode node, MeshConfig.HeaderRepair dflt) {
    String path = "gateway.headerRepair";
    ObjectNode o = object(node, path, Set.of("enabled", "extProc", "markerHeader"));
    if (o == null) {
      return dflt;
    }
    Boolean enabled = bool(o, "enabled", path + ".enabled");
    String host = null;
    int port = dflt.extProcPort();
    Duration timeout = dflt.timeout();
    boolean allow = dflt.failureModeAllow();
    if (o.has("extProc")) {
      String ep = path + ".extProc";
      ObjectNode e = object(o.get("extProc"), ep,
          Set.of("host", "port", "timeout", "failureModeAllow"));
      if (e != null) {
        host = string(e, "host", ep + ".host", false);
        if (host != null && !isHost(host)) {
          error(ep + ".host", host, "must be a host name or IP address");
          host = null;
        }
        Integer p = port(e, "port", ep + ".port", false);
        port = p == null ? port : p;
        timeout = duration(e, "timeout", ep + ".timeout", timeout, true);
        // Envoy: message_timeout at most 3600s.
        if (timeout.compareTo(Duration.ofHours(1)) > 0) {
          error(ep + ".timeout", e.get("timeout").asText(), "must be at most 3600s");
          timeout = dflt.timeout();
        }
        Boolean a = bool(e, "failureModeAllow", ep + ".failureModeAllow");
        allow = a == null ? allow : a;
      }
    }
    boolean on = Boolean.TRUE.equals(enabled);
    if (on && host == null && !errors.stream().anyMatch(x -> x.startsWith(path + ".extProc"))) {
      error(path + ".extProc.host", "(missing)", "required when headerRepair.enabled is true");
    }
    String marker = dflt.markerHeader();
    if (o.has("markerHeader")) {
      marker = string(o, "markerHeader", path + ".markerHeader", false);
      if (marker != null && marker.isEmpty()) {
        marker = null;
      } else if (marker != null && (!HttpToken.isToken(marker)
          || !marker.equals(marker.toLowerCase(Locale.ROOT)))) {
        error(path + ".markerHeader", marker, "must be a lower-case HTTP header name");
        marker = dflt.markerHeader();
      }
    }
    return new MeshConfig.HeaderRepair(on, host, port, timeout, allow, marker);
  }

  private MeshConfig.Server server(JsonNode node) {
    String adsAddress = "127.0.0.1";
    int adsPort = 18000;
    String adminAddress = "127.0.0.1";
    int adminPort = 18001;
    MeshConfig.Tls tls = null;
    Path token = null;
    if (node != null) {
      ObjectNode o = object(node, "server", Set.of("ads", "admin"));
      if (o != null && o.has("ads")) {
        ObjectNode a = object(o.get("ads"), "server.ads", Set.of("address", "port", "tls"));
        if (a != null) {
          adsAddress = address(a, "server.ads", adsAddress);
          Integer p = portOrZero(a, "port", "server.ads.port");
          adsPort = p == null ? adsPort : p;
          if (a.has("tls")) {
            tls = tls(a.get("tls"), "server.ads.tls");
          }
        }
      }
      if (o != null && o.has("admin")) {
        ObjectNode a = object(o.get("admin"), "server.admin",
            Set.of("address", "port", "tokenFile"));
        if (a != null) {
          adminAddress = address(a, "server.admin", adminAddress);
          Integer p = portOrZero(a, "port", "server.admin.port");
          adminPort = p == null ? adminPort : p;
          token = file(a, "tokenFile", "server.admin.tokenFile", false);
        }
      }
    }
    return new MeshConfig.Server(adsAddress, adsPort, adminAddress, adminPort, tls, token);
  }

  private String address(ObjectNode o, String path, String dflt) {
    String a = string(o, "address", path + ".address", false);
    if (a != null && !isHost(a)) {
      error(path + ".address", a, "must be an IP address or host name");
      return dflt;
    }
    return a == null ? dflt : a;
  }

  private MeshConfig.Tls tls(JsonNode node, String path) {
    ObjectNode o = object(node, path, Set.of("certChain", "privateKey", "keyStore",
        "keyStorePassword", "clientCa", "requireClientCert"));
    if (o == null) {
      return null;
    }
    Path chain = file(o, "certChain", path + ".certChain", false);
    Path key = file(o, "privateKey", path + ".privateKey", false);
    Path store = file(o, "keyStore", path + ".keyStore", false);
    String password = string(o, "keyStorePassword", path + ".keyStorePassword", false);
    Path ca = file(o, "clientCa", path + ".clientCa", false);
    Boolean require = bool(o, "requireClientCert", path + ".requireClientCert");
    boolean pem = o.has("certChain") || o.has("privateKey");
    if (pem == o.has("keyStore")) {
      error(path, fieldNames(o).toString(), "set either certChain+privateKey or keyStore");
    } else if (pem && (!o.has("certChain") || !o.has("privateKey"))) {
      error(path, fieldNames(o).toString(), "certChain and privateKey go together");
    }
    if (Boolean.TRUE.equals(require) && !o.has("clientCa")) {
      error(path + ".requireClientCert", "true", "needs clientCa to check client certificates");
    }
    return new MeshConfig.Tls(chain, key, store, password == null ? "" : password, ca,
        Boolean.TRUE.equals(require));
  }

  private Path file(ObjectNode o, String key, String path, boolean required) {
    String s = string(o, key, path, required);
    if (s == null) {
      return null;
    }
    Path p = baseDir == null ? Path.of(s) : baseDir.resolve(s);
    if (!Files.isReadable(p)) {
      error(path, s, "must be a readable file (resolved to " + p.toAbsolutePath() + ")");
    }
    return p;
  }

  // -------------------------------------------------------------- values

  private ObjectNode object(JsonNode n, String path, Set<String> allowed) {
    if (n == null || !n.isObject()) {
      error(path.isEmpty() ? "(root)" : path, n == null ? "(missing)" : shortText(n),
          "must be a mapping");
      return null;
    }
    Iterator<String> it = n.fieldNames();
    while (it.hasNext()) {
      String k = it.next();
      if (!allowed.contains(k)) {
        error(path.isEmpty() ? k : path + "." + k, shortText(n.get(k)),
            "unknown key; expected one of " + sorted(allowed));
      }
    }
    return (ObjectNode) n;
  }

  private List<JsonNode> list(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      error(path, shortText(n), "must be a list");
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>();
    n.forEach(out::add);
    return out;
  }

  private String string(ObjectNode o, String key, String path, boolean required) {
    JsonNode n = o.get(key);
    if (n == null || n.isNull()) {
      if (required) {
        error(path, "(missing)", "required");
      }
      return null;
    }
    String s = scalarString(n, path);
    if (s != null && required && s.isBlank()) {
      error(path, "\"\"", "must not be empty");
      return null;
    }
    return s;
  }

  private String scalarString(JsonNode n, String path) {
    if (n == null || !n.isValueNode() || n.isNull()) {
      error(path, n == null ? "(missing)" : shortText(n), "must be a string");
      return null;
    }
    return n.asText();
  }

  private Boolean bool(ObjectNode o, String key, String path) {
    JsonNode n = o.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isBoolean()) {
      error(path, n.asText(), "must be true or false");
      return null;
    }
    return n.booleanValue();
  }

  private Integer integer(ObjectNode o, String key, String path, boolean required, int min,
      int max) {
    JsonNode n = o.get(key);
    if (n == null || n.isNull()) {
      if (required) {
        error(path, "(missing)", "required");
      }
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      error(path, n.asText(), "must be an integer between " + min + " and " + max);
      return null;
    }
    int v = n.intValue();
    if (v < min || v > max) {
      error(path, n.asText(), "must be between " + min + " and " + max);
      return null;
    }
    return v;
  }

  private Integer port(ObjectNode o, String key, String path, boolean required) {
    JsonNode n = o.get(key);
    if (n == null || n.isNull()) {
      if (required) {
        error(path, "(missing)", "required (a port between 1 and 65535)");
      }
      return null;
    }
    return portValue(n, path);
  }

  private Integer portValue(JsonNode n, String path) {
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1
        || n.intValue() > 65535) {
      error(path, n.asText(), "must be a port between 1 and 65535");
      return null;
    }
    return n.intValue();
  }

  /** Listening ports of this server accept 0 (any free port). */
  private Integer portOrZero(ObjectNode o, String key, String path) {
    JsonNode n = o.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0
        || n.intValue() > 65535) {
      error(path, n.asText(), "must be a port between 0 and 65535");
      return null;
    }
    return n.intValue();
  }

  private Duration duration(ObjectNode o, String key, String path, Duration dflt,
      boolean positive) {
    String s = string(o, key, path, false);
    if (s == null) {
      return dflt;
    }
    Duration d = parseDuration(s);
    if (d == null) {
      error(path, s, "must be a duration such as 500ms, 5s, 1m");
      return dflt;
    }
    if (positive && (d.isZero() || d.isNegative())) {
      error(path, s, "must be greater than 0");
      return dflt;
    }
    if (d.getSeconds() >= 4294967296L) {
      error(path, s, "must be less than 4294967296s");
      return dflt;
    }
    return d;
  }

  /**
   * Parses Istio-style durations: {@code 250ms}, {@code 5s}, {@code 1.5s}, {@code 2m},
   * {@code 1h}.
   */
  static Duration parseDuration(String s) {
    String t = s.trim();
    String unit;
    if (t.endsWith("ms")) {
      unit = "ms";
    } else if (t.endsWith("us")) {
      unit = "us";
    } else if (t.endsWith("s") || t.endsWith("m") || t.endsWith("h")) {
      unit = t.substring(t.length() - 1);
    } else {
      return null;
    }
    String num = t.substring(0, t.length() - unit.length());
    if (num.isEmpty() || num.startsWith("+")) {
      return null;
    }
    double v;
    try {
      v = Double.parseDouble(num);
    } catch (NumberFormatException e) {
      return null;
    }
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return null;
    }
    double nanos;
    switch (unit) {
      case "us":
        nanos = v * 1e3;
        break;
      case "ms":
        nanos = v * 1e6;
        break;
      case "s":
        nanos = v * 1e9;
        break;
      case "m":
        nanos = v * 60e9;
        break;
      default:
        nanos = v * 3600e9;
        break;
    }
    if (Math.abs(nanos) > 9.2e18) {
      return Duration.ofSeconds(Long.MAX_VALUE / 2);
    }
    return Duration.ofNanos(Math.round(nanos));
  }

  private void error(String path, String value, String expected) {
    errors.add(path + "=" + value + ": " + expected);
  }

  // --------------------------------------------------------- predicates

  static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        return true;
      }
    }
    return false;
  }

  /** Host name (letters, digits, '-', '.', '_') or an IPv4/IPv6 literal. */
  static boolean isHost(String s) {
    if (s.isEmpty() || s.length() > 253) {
      return false;
    }
    if (s.indexOf(':') >= 0) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
          return false;
        }
      }
      return true;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_';
      if (!ok) {
        return false;
      }
    }
    return !s.startsWith(".") && !s.startsWith("-") && !s.contains("..");
  }

  static boolean isDnsName(String s) {
    if (s.isEmpty() || s.length() > 253 || s.startsWith(".") || s.endsWith(".")
        || s.contains("..")) {
      return false;
    }
    for (String label : s.split("\\.")) {
      if (!isDnsLabel(label)) {
        return false;
      }
    }
    return true;
  }

  static boolean isDnsLabel(String s) {
    if (s.isEmpty() || s.length() > 63 || s.startsWith("-") || s.endsWith("-")) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static String shortText(JsonNode n) {
    String s = n.isValueNode() ? n.asText() : n.toString();
    s = escape(s);
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private static List<String> sorted(Set<String> s) {
    List<String> out = new ArrayList<>(s);
    Collections.sort(out);
    return out;
  }
}
