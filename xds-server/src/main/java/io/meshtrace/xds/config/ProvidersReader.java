package io.meshtrace.xds.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshtrace.context.HttpToken;
import io.meshtrace.xds.config.MeshConfig.Provider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code extensionProviders} as Istio's MeshConfig writes them: the tracing backends, one
 * kind each, with Istio's {@code [<namespace>/]<hostname>} services ({@link ServiceAddress}).
 * Istio's other provider kinds (access logs, ext_authz, metrics, SDS) are declared but not
 * served, with a warning; a field Envoy API v1.34 cannot express is refused with the reason.
 */
final class ProvidersReader {

  /**
   * The providers read, every name declared (a broken provider's name counts as declared, so
   * references to it are not reported again: its own problems say what is wrong), and the kind
   * of each declared provider that does not trace.
   */
  record Result(List<Provider> providers, Set<String> declared, Map<String, String> notTracing) {}

  private static final String MAX_TAG = "maxTagLength";
  private static final String TRACERS = "opentelemetry, zipkin, skywalking, datadog";
  /** Istio's provider kinds that are no tracers: declared, warned about, never served. */
  private static final Set<String> NOT_TRACING = Set.of("envoyExtAuthzHttp", "envoyExtAuthzGrpc",
      "prometheus", "envoyFileAccessLog", "envoyHttpAls", "envoyTcpAls", "envoyOtelAls", "sds");
  /** Istio's tracing kinds that Envoy API v1.34 has no tracer for, with the reason. */
  private static final Map<String, String> REFUSED = Map.of(
      "lightstep", "Istio deprecated lightstep in 1.15 and serves it as OpenTelemetry;"
          + " write an opentelemetry provider for Lightstep's OTLP endpoint",
      "opencensus", "Envoy API v1.34 has no OpenCensus tracer (OpenCensus is deprecated);"
          + " write an opentelemetry provider",
      "stackdriver", "Envoy API v1.34 has no OpenCensus tracer, which stackdriver needs;"
          + " write an opentelemetry provider for Cloud Trace's OTLP endpoint");
  /** Envoy 1.34's Zipkin tracer: runtime {@code tracing.zipkin.request_timeout}, 5000 ms. */
  static final Duration ZIPKIN_TIMEOUT = Duration.ofSeconds(5);
  private static final String TOKEN = "accessToken";
  private static final String TOKEN_FROM = "accessTokenFrom";
  private static final Set<String> HEADER_KEYS = Set.of("name", "value", "envName", "file",
      "secretKeyRef");

  private ProvidersReader() {}

  /** Reads the section; header values and tokens given by reference resolve through secrets. */
  static Result read(ConfigTree section, SecretResolver secrets) {
    List<Provider> out = new ArrayList<>();
    Set<String> declared = new HashSet<>();
    Map<String, String> notTracing = new HashMap<>();
    Set<String> allowed = new HashSet<>(Set.of("name", "opentelemetry", "zipkin", "skywalking",
        "datadog"));
    allowed.addAll(NOT_TRACING);
    allowed.addAll(REFUSED.keySet());
    for (ConfigTree item : section.items()) {
      ConfigTree o = item.mapping(allowed);
      if (o == null) {
        continue;
      }
      String name = o.string("name", true);
      if (name != null && !declared.add(name)) {
        o.error("name", name, "duplicate provider name");
      }
      List<String> kinds = o.keys();
      kinds.remove("name");
      if (kinds.size() != 1) {
        o.error(kinds.isEmpty() ? "(none)" : kinds.toString(), "set exactly one of " + TRACERS
            + " (or one of Istio's other kinds)");
        continue;
      }
      String kind = kinds.get(0);
      ConfigTree k = o.at(kind);
      if (NOT_TRACING.contains(kind)) {
        if (name != null) {
          notTracing.put(name, kind);
        }
        o.problems().warn(o.path() + " (" + kind + "): not a tracing provider; meshtrace serves"
            + " tracing only, so it is declared but not used");
        continue;
      }
      if (REFUSED.containsKey(kind)) {
        o.error(kind, k.text(), REFUSED.get(kind));
        continue;
      }
      Provider p;
      switch (kind) {
        case "opentelemetry":
          p = openTelemetry(k, name, secrets);
          break;
        case "zipkin":
          p = zipkin(k, name);
          break;
        case "skywalking":
          p = skyWalking(k, name, secrets);
          break;
        case "datadog":
          p = datadog(k, name);
          break;
        default:
          p = null; // an unknown key, reported by mapping()
      }
      if (p != null && name != null) {
        out.add(p);
      }
    }
    return new Result(List.copyOf(out), Set.copyOf(declared), Map.copyOf(notTracing));
  }

  /** Reports every provider reference that names one of Istio's providers that do not trace. */
  static void checkTracingReferences(References refs, Result providers, Problems problems) {
    for (References.Ref r : refs.providers()) {
      String kind = providers.notTracing().get(r.name());
      if (kind != null) {
        problems.error(r.path(), r.name(), "not a tracing provider (its kind is " + kind
            + "); name one of kind " + TRACERS);
      }
    }
  }

  private static Provider openTelemetry(ConfigTree node, String name,
      SecretResolver secrets) {
    ConfigTree o = node.mapping(Set.of("service", "port", MAX_TAG, "http", "grpc",
        "resourceDetectors", "dynatraceSampler", "serviceAttributeEnrichment"));
    if (o == null) {
      return null;
    }
    String host = ServiceAddress.read(o, "service");
    Integer port = o.port("port", true);
    Integer maxTag = o.integer(MAX_TAG, false, 1, 65535);
    List<ResourceDetector> detectors = resourceDetectors(o.at("resourceDetectors"));
    String enrichment = o.string("serviceAttributeEnrichment", false);
    if (enrichment != null && !enrichment.equals("ISTIO_CANONICAL")) {
      o.error("serviceAttributeEnrichment", enrichment, enrichment.equals(
          "OTEL_SEMANTIC_CONVENTIONS") ? "not served: meshtrace names the tracer's service by"
          + " the node's service and does not see the pod labels and annotations"
          + " OTEL_SEMANTIC_CONVENTIONS reads; leave it out or write ISTIO_CANONICAL"
          : "must be ISTIO_CANONICAL (OTEL_SEMANTIC_CONVENTIONS is not served)");
    }
    if (o.has("http") && o.has("grpc")) {
      o.error("http+grpc", "set at most one of http, grpc");
      return null;
    }
    if (o.has("http")) {
      ConfigTree h = o.at("http").mapping(Set.of("path", "timeout", "headers"));
      if (h == null) {
        return null;
      }
      String httpPath = joinedPath(h, "path", MeshConfig.OpenTelemetryHttp.DEFAULT_PATH);
      Duration timeout = h.duration("timeout", MeshConfig.OpenTelemetryHttp.DEFAULT_TIMEOUT,
          true);
      List<Header> headers = headers(h.at("headers"), false, secrets);
      DynatraceSampler sampler = o.has("dynatraceSampler") && host != null && port != null
          ? dynatraceSampler(o.at("dynatraceSampler"), port, timeout, headers, secrets) : null;
      return host == null || port == null ? null
          : new MeshConfig.OpenTelemetryHttp(name, o.path(), host, port, maxTag, httpPath,
              timeout, headers, detectors, sampler);
    }
    if (o.has("dynatraceSampler")) {
      o.error("dynatraceSampler", o.at("dynatraceSampler").text(), "served with the http"
          + " exporter only (Dynatrace takes OTLP over HTTP; without httpService Istio reuses"
          + " the http exporter's host and headers): add http");
    }
    Duration timeout = null;
    List<Header> metadata = List.of();
    if (o.has("grpc")) {
      ConfigTree g = o.at("grpc").mapping(Set.of("timeout", "initialMetadata"));
      if (g == null) {
        return null;
      }
      timeout = g.duration("timeout", null, true);
      metadata = headers(g.at("initialMetadata"), true, secrets);
    }
    return host == null || port == null ? null
        : new MeshConfig.OpenTelemetryGrpc(name, o.path(), host, port, maxTag, timeout,
            metadata, detectors);
  }

  /** {@code resourceDetectors: {environment: {}, dynatrace: {}}}, in Istio's order. */
  private static List<ResourceDetector> resourceDetectors(ConfigTree node) {
    if (node.node() == null) {
      return List.of();
    }
    ConfigTree o = node.mapping(Set.of("environment", "dynatrace"));
    List<ResourceDetector> out = new ArrayList<>();
    for (ResourceDetector d : ResourceDetector.values()) {
      if (o != null && o.has(d.configName())) {
        // Both detectors take no settings: {} (a YAML null would be unset in Istio).
        if (o.at(d.configName()).mapping(Set.of()) != null) {
          out.add(d);
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * {@code dynatraceSampler}: with {@code httpService} the sampler asks that API through a
   * cluster of its own; without, it reuses the OTLP/HTTP exporter's collector, timeout and
   * headers at {@link DynatraceSampler#DEFAULT_PATH}, as Istio does.
   */
  private static DynatraceSampler dynatraceSampler(ConfigTree node, int exporterPort,
      Duration exporterTimeout, List<Header> exporterHeaders, SecretResolver secrets) {
    ConfigTree o = node.mapping(Set.of("tenant", "clusterId", "rootSpansPerMinute",
        "httpService"));
    if (o == null) {
      return null;
    }
    String tenant = o.string("tenant", true);
    Integer clusterId = o.integer("clusterId", true, Integer.MIN_VALUE, Integer.MAX_VALUE);
    Integer rootSpans = o.integer("rootSpansPerMinute", false, 0, Integer.MAX_VALUE);
    if (tenant != null && ValueSyntax.hasControl(tenant)) {
      o.error("tenant", ValueSyntax.shorten(tenant, 60), "must not contain control characters");
      tenant = null;
    }
    if (!o.has("httpService")) {
      return tenant == null || clusterId == null ? null
          : new DynatraceSampler(o.path(), tenant, clusterId, rootSpans, null, exporterPort,
              DynatraceSampler.DEFAULT_PATH, exporterTimeout, exporterHeaders);
    }
    ConfigTree api = o.at("httpService").mapping(Set.of("service", "port", "http"));
    if (api == null) {
      return null;
    }
    String host = ServiceAddress.read(api, "service");
    Integer port = api.port("port", true);
    ConfigTree h = api.at("http").mapping(Set.of("path", "timeout", "headers"));
    if (h == null) {
      return null;
    }
    if (!h.has("path")) {
      h.error("path", "(missing)", "required: the path of the sampling configuration API,"
          + " e.g. /api/v2/samplingConfiguration");
    }
    String httpPath = joinedPath(h, "path", DynatraceSampler.DEFAULT_PATH);
    Duration timeout = h.duration("timeout", MeshConfig.OpenTelemetryHttp.DEFAULT_TIMEOUT, true);
    List<Header> headers = headers(h.at("headers"), false, secrets);
    return tenant == null || clusterId == null || host == null || port == null ? null
        : new DynatraceSampler(o.path(), tenant, clusterId, rootSpans, host, port, httpPath,
            timeout, headers);
  }

  /**
   * An HTTP path as Istio joins it to the host ({@code url.JoinPath}): {@code v1/traces} and
   * {@code /v1/traces} are the same path.
   */
  private static String joinedPath(ConfigTree o, String key, String dflt) {
    String s = o.string(key, false);
    if (s == null || s.isEmpty()) {
      return dflt;
    }
    String joined = s.startsWith("/") ? s : "/" + s;
    if (ValueSyntax.hasControl(joined) || joined.indexOf(' ') >= 0 || joined.indexOf('#') >= 0) {
      o.at(key).error(s, "must be a URL path (Istio joins it to the host) without spaces or #");
      return dflt;
    }
    return joined;
  }

  private static Provider zipkin(ConfigTree node, String name) {
    ConfigTree o = node.mapping(Set.of("service", "port", "path", MAX_TAG,
        "enable64bitTraceId", "encoding", "timeout", "headers", "traceContextOption"));
    if (o == null) {
      return null;
    }
    String host = ServiceAddress.read(o, "service");
    Integer port = o.port("port", true);
    Integer maxTag = o.integer(MAX_TAG, false, 1, 65535);
    String httpPath = o.httpPath("path", MeshConfig.Zipkin.DEFAULT_PATH);
    Boolean bit64 = o.bool("enable64bitTraceId");
    String encoding = o.string("encoding", false);
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
          o.error("encoding", encoding, "must be one of json, proto");
      }
    }
    Duration timeout = o.duration("timeout", ZIPKIN_TIMEOUT, true);
    if (!timeout.equals(ZIPKIN_TIMEOUT)) {
      o.error("timeout", o.string("timeout", false), "Envoy API v1.34's Zipkin tracer has no"
          + " timeout (collector_service is Envoy 1.36); its collector requests time out after"
          + " 5s (runtime tracing.zipkin.request_timeout): write 5s or leave it out");
    }
    if (!o.at("headers").items().isEmpty()) {
      o.error("headers", o.at("headers").text(), "Envoy API v1.34's Zipkin tracer cannot add"
          + " headers to collector requests (collector_service.request_headers_to_add is Envoy"
          + " 1.36); use an opentelemetry provider with http.headers");
    }
    String option = o.string("traceContextOption", false);
    if (option != null && !option.equals("USE_B3")) {
      o.error("traceContextOption", option, option.equals("USE_B3_WITH_W3C_PROPAGATION")
          ? "Envoy API v1.34's Zipkin tracer reads and writes B3 only (trace_context_option is"
          + " Envoy 1.36); use an opentelemetry provider for W3C, or gateway.headerRepair,"
          + " whose ext-proc writes both"
          : "must be USE_B3 (USE_B3_WITH_W3C_PROPAGATION needs Envoy 1.36)");
    }
    return host == null || port == null ? null
        : new MeshConfig.Zipkin(name, o.path(), host, port, maxTag, httpPath, proto,
            bit64 == null || !bit64);
  }

  private static Provider skyWalking(ConfigTree node, String name, SecretResolver secrets) {
    // A misspelt accessToken still holds a token: no problem line shows a value here.
    ConfigTree o = node.secretMapping(Set.of("service", "port", TOKEN, TOKEN_FROM, MAX_TAG));
    if (o == null) {
      return null;
    }
    String host = ServiceAddress.read(o, "service");
    Integer port = o.port("port", true);
    Integer maxTag = o.integer(MAX_TAG, false, 1, 65535);
    SecretReader.Value token = accessToken(o, secrets);
    boolean tokenOk = token != null
        || (!o.has(TOKEN_FROM) && (!o.has(TOKEN) || o.at(TOKEN).node().isNull()));
    return host == null || port == null || !tokenOk ? null
        : new MeshConfig.SkyWalking(name, o.path(), host, port, maxTag,
            token == null ? null : token.value(), token == null ? SecretRef.LITERAL : token.ref());
  }

  /**
   * {@code accessToken} (a string) or {@code accessTokenFrom: {envName | file | secretKeyRef}}
   * (two keys, since a CRD schema gives a field one type); null when absent or wrong
   * (reported).
   */
  private static SecretReader.Value accessToken(ConfigTree o, SecretResolver secrets) {
    if (o.has(TOKEN) && o.has(TOKEN_FROM)) {
      o.error(TOKEN + "+" + TOKEN_FROM, "set at most one of " + TOKEN + ", " + TOKEN_FROM);
      return null;
    }
    if (o.has(TOKEN_FROM)) {
      ConfigTree ref = o.at(TOKEN_FROM).secretMapping(SecretReader.REFERENCE_KEYS);
      return ref == null ? null : SecretReader.read(ref, null, true, secrets);
    }
    ConfigTree t = o.at(TOKEN);
    if (t.node() == null || t.node().isNull()) {
      return null;
    }
    if (!t.node().isValueNode()) {
      t.error(ConfigTree.HIDDEN, "must be a string (or use " + TOKEN_FROM + ")");
      return null;
    }
    String s = t.node().asText();
    if (s.isEmpty() || ValueSyntax.hasControl(s)) {
      t.error(ConfigTree.HIDDEN, "must be non-empty without control characters");
      return null;
    }
    return new SecretReader.Value(SecretRef.LITERAL, s);
  }

  private static Provider datadog(ConfigTree node, String name) {
    ConfigTree o = node.mapping(Set.of("service", "port", MAX_TAG));
    if (o == null) {
      return null;
    }
    String host = ServiceAddress.read(o, "service");
    Integer port = o.port("port", true);
    Integer maxTag = o.integer(MAX_TAG, false, 1, 65535);
    return host == null || port == null ? null
        : new MeshConfig.Datadog(name, o.path(), host, port, maxTag);
  }

  /**
   * Request headers to a collector, or gRPC initial metadata (lower-case keys): Istio's
   * {@code HttpHeader} ({@code {name, value}} or {@code {name, envName}}) plus
   * {@code {name, file}} and {@code {name, secretKeyRef: {name, key}}}.
   */
  private static List<Header> headers(ConfigTree list, boolean grpcMetadata,
      SecretResolver secrets) {
    List<Header> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    JsonNode n = list.node();
    if (n != null && !n.isNull() && !n.isArray()) {
      list.error(ConfigTree.HIDDEN, "must be a list of {name, value | envName | file |"
          + " secretKeyRef}");
      return List.of();
    }
    for (ConfigTree item : list.items()) {
      ConfigTree o = item.secretMapping(HEADER_KEYS);
      if (o == null) {
        continue;
      }
      String name = o.string("name", true);
      boolean ok = true;
      if (name != null && !HttpToken.isToken(name)) {
        o.error("name", name, "must be an HTTP header name (letters, digits, -, _, ...;"
            + " no spaces or colons)");
        ok = false;
      } else if (name != null && grpcMetadata && !name.equals(name.toLowerCase(Locale.ROOT))) {
        o.error("name", name, "gRPC metadata keys must be lower case");
        ok = false;
      } else if (name != null && !seen.add(name.toLowerCase(Locale.ROOT))) {
        o.error("name", name, "duplicate header");
        ok = false;
      }
      // An unreadable name could be anything: hide its literal value too.
      boolean sensitive = name == null || !ok || Redaction.sensitiveName(name);
      SecretReader.Value value = SecretReader.read(o, "value", sensitive, secrets);
      if (ok && name != null && value != null) {
        out.add(new Header(name, value.value(), value.ref()));
      }
    }
    return List.copyOf(out);
  }
}
