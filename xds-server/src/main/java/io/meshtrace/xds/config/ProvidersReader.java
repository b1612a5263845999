package io.meshtrace.xds.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshtrace.context.HttpToken;
import io.meshtrace.xds.config.Header;
import io.meshtrace.xds.config.MeshConfig.Provider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads {@code extensionProviders}: the tracing backends, one kind each. */
final class ProvidersReader {

  /**
   * The providers read, and every name declared: a broken provider's name counts as declared,
   * so references to it are not reported again (its own problems say what is wrong).
   */
  record Result(List<Provider> providers, Set<String> declared) {}

  private static final String MAX_TAG = "maxTagLength";
  private static final String HOST_EXPECTED = "must be a host name or IP address";
  private static final String TOKEN = "accessToken";
  private static final String TOKEN_FROM = "accessTokenFrom";
  private static final Set<String> HEADER_KEYS = Set.of("name", "value", "envName", "file",
      "secretKeyRef");

  private ProvidersReader() {}

  /** Reads the section; header values and tokens given by reference resolve through secrets. */
  static Result read(ConfigTree section, SecretResolver secrets) {
    List<Provider> out = new ArrayList<>();
    Set<String> declared = new HashSet<>();
    for (ConfigTree item : section.items()) {
      ConfigTree o = item.mapping(Set.of("name", "opentelemetry", "zipkin", "skywalking",
          "datadog"));
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
        o.error(kinds.isEmpty() ? "(none)" : kinds.toString(),
            "set exactly one of opentelemetry, zipkin, skywalking, datadog");
        continue;
      }
      String kind = kinds.get(0);
      ConfigTree k = o.at(kind);
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
    return new Result(List.copyOf(out), Set.copyOf(declared));
  }

  private static Provider openTelemetry(ConfigTree node, String name,
      SecretResolver secrets) {
    ConfigTree o = node.mapping(Set.of("service", "port", MAX_TAG, "http", "grpc"));
    if (o == null) {
      return null;
    }
    String host = o.host("service", true, HOST_EXPECTED);
    Integer port = o.port("port", true);
    Integer maxTag = o.integer(MAX_TAG, false, 1, 65535);
    if (o.has("http") && o.has("grpc")) {
      o.error("http+grpc", "set at most one of http, grpc");
      return null;
    }
    if (o.has("http")) {
      ConfigTree h = o.at("http").mapping(Set.of("path", "timeout", "headers"));
      if (h == null) {
        return null;
      }
      String httpPath = h.httpPath("path", MeshConfig.OpenTelemetryHttp.DEFAULT_PATH);
      Duration timeout = h.duration("timeout", MeshConfig.OpenTelemetryHttp.DEFAULT_TIMEOUT,
          true);
      List<Header> headers = headers(h.at("headers"), false, secrets);
      return host == null || port == null ? null
          : new MeshConfig.OpenTelemetryHttp(name, o.path(), host, port, maxTag, httpPath,
              timeout, headers);
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
            metadata);
  }

  private static Provider zipkin(ConfigTree node, String name) {
    ConfigTree o = node.mapping(Set.of("service", "port", "path", MAX_TAG,
        "enable64bitTraceId", "encoding"));
    if (o == null) {
      return null;
    }
    String host = o.host("service", true, HOST_EXPECTED);
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
    String host = o.host("service", true, HOST_EXPECTED);
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
    String host = o.host("service", true, HOST_EXPECTED);
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
