package io.meshtrace.sdk.proxy;

import io.meshtrace.sdk.ExportProtocol;
import io.meshtrace.sdk.MeshOptions;
import io.meshtrace.sdk.MeshSettings;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * ExternalProxy's configuration: where it listens, the gateway it forwards to, and the mesh
 * settings for its spans.
 *
 * <p>The spans' settings are OpenTelemetry's own ({@code otel.service.name},
 * {@code otel.traces.exporter}, {@code otel.exporter.*}, {@code otel.traces.sampler}, ...) and
 * the {@code meshtrace.*} keys, as system properties or {@code OTEL_*} / {@code MESHTRACE_*}
 * environment variables (see {@link MeshSettings#fromConfig}); the proxy's own are
 * {@code meshtrace.proxy.gateway}, {@code .port}, {@code .bind}, {@code .upstream-timeout}. Flags
 * win over both; the mesh flags are translated to the standard keys.
 */
record ProxyConfig(String bind, int port, URI gateway, Duration upstreamTimeout, MeshSettings mesh) {

  /**
   * One command-line flag: its name, the settings key it stands for, how help shows it. The
   * keys of {@code --exporter}, {@code --endpoint}, {@code --exporter-headers} and
   * {@code --sampling} are the flags themselves: {@link #meshKeys} translates them.
   */
  record Flag(String name, String key, String label, String description) {
    /** Whether the flag is a plain settings key (shown in help) rather than translated. */
    boolean plainKey() {
      return !key.startsWith("--");
    }
  }

  /** Every flag, in the order help lists them. */
  static final List<Flag> FLAGS = List.of(
      new Flag("--gateway", "meshtrace.proxy.gateway", "URL",
          "where requests go, e.g. http://ingress.example:80 (required)"),
      new Flag("--port", "meshtrace.proxy.port", "N", "listen port, 0 for any free one (default 8080)"),
      new Flag("--bind", "meshtrace.proxy.bind", "ADDR",
          "listen address (default 127.0.0.1; 0.0.0.0 for every interface)"),
      new Flag("--upstream-timeout", "meshtrace.proxy.upstream-timeout", "D",
          "per request to the gateway (default 10s)"),
      new Flag("--service", "otel.service.name", "NAME",
          "service name of the proxy's spans (default external-proxy)"),
      new Flag("--namespace", MeshOptions.SERVICE_NAMESPACE, "NS", "service namespace"),
      new Flag("--propagation", MeshOptions.PROPAGATION, "LIST",
          "tracecontext | b3 (single header) | b3multi, comma-separated (default b3multi)"),
      new Flag("--mesh-version", MeshOptions.MESH_VERSION, "V",
          "choose propagation by mesh version (B3 up to 1.18.0.124)"),
      new Flag("--exporter", "--exporter", "P",
          "zipkin | zipkin-proto | zipkin-v1 | otlp-grpc | otlp-http | none (default zipkin)"),
      new Flag("--endpoint", "--endpoint", "URL", "span receiver, e.g. http://127.0.0.1:9411/api/v2/spans"),
      new Flag("--exporter-headers", "--exporter-headers", "H",
          "name=value,... sent with each export (e.g. an auth token)"),
      new Flag("--exporter-delay", "otel.bsp.schedule.delay", "D",
          "batch delay before spans are sent (default 1s)"),
      new Flag("--sampling", "--sampling", "PCT", "percent of requests traced (default 100)"));

  /** The proxy's defaults where neither a flag nor the environment says otherwise. */
  private static final Map<String, String> PROXY_DEFAULTS = Map.of(
      "otel.service.name", "external-proxy",
      "otel.traces.exporter", MeshOptions.SPI_NAME,
      "otel.bsp.schedule.delay", "1s",
      "otel.propagators", MeshOptions.SPI_NAME);

  /**
   * Parses flags ({@code --name value} or {@code --name=value}) over {@code environment}, the
   * way {@code external-proxy.jar} does.
   *
   * @throws IllegalArgumentException naming the flag, the value and what was expected (or the
   *     unknown flag, or the flag without its value)
   */
  static ProxyConfig parse(String[] args, DefaultConfigProperties environment) {
    CommandLine cl = ProxyCommand.commandLine(System.out, System.err);
    try {
      cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return fromFlags(ProxyCommand.values(cl.getParseResult()), environment);
  }

  /**
   * The configuration from flag values by flag name over {@code environment}.
   *
   * @throws IllegalArgumentException naming the flag, the value and what was expected
   */
  static ProxyConfig fromFlags(Map<String, String> flags, DefaultConfigProperties environment) {
    Map<String, String> values = new HashMap<>();
    for (Flag flag : FLAGS) {
      String v = flags.get(flag.name());
      if (v != null) {
        values.put(flag.key(), v);
      }
    }
    Function<String, String> lookup = key -> {
      String v = values.get(key);
      return v != null ? v : environment.getString(key);
    };

    String gatewayValue = lookup.apply("meshtrace.proxy.gateway");
    if (gatewayValue == null || gatewayValue.isBlank()) {
      throw new IllegalArgumentException("--gateway is required: the URL requests are forwarded to");
    }
    URI gateway;
    try {
      gateway = URI.create(gatewayValue.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--gateway=" + gatewayValue + ": must be a URL");
    }
    if (!"http".equals(gateway.getScheme()) && !"https".equals(gateway.getScheme())
        || gateway.getHost() == null) {
      throw new IllegalArgumentException("--gateway=" + gatewayValue + ": must be an http or https URL with a host");
    }

    String portValue = lookup.apply("meshtrace.proxy.port");
    int port = 8080;
    if (portValue != null) {
      try {
        port = Integer.parseInt(portValue.trim());
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--port=" + portValue + ": must be between 0 and 65535");
      }
    }
    String bind = lookup.apply("meshtrace.proxy.bind");
    if (bind == null || bind.isBlank()) {
      bind = "127.0.0.1";
    }
    String timeoutValue = lookup.apply("meshtrace.proxy.upstream-timeout");
    Duration upstreamTimeout = timeoutValue == null
        ? Duration.ofSeconds(10)
        : MeshSettings.parseDuration("--upstream-timeout", timeoutValue);
    if (upstreamTimeout.isZero()) {
      throw new IllegalArgumentException("--upstream-timeout=" + timeoutValue + ": must be positive");
    }

    Map<String, String> flagOfKey = new HashMap<>();
    Map<String, String> overrides = meshKeys(values, environment, flagOfKey);
    MeshSettings mesh;
    try {
      mesh = MeshSettings.fromConfig(environment.withOverrides(overrides));
    } catch (ConfigurationException | IllegalArgumentException e) {
      throw new IllegalArgumentException(flagMessage(e.getMessage(), flagOfKey));
    }
    return new ProxyConfig(bind.trim(), port, gateway, upstreamTimeout, mesh);
  }

  /**
   * The settings keys the mesh flags stand for, over the proxy's defaults where the
   * environment sets nothing; {@code flagOfKey} learns which flag set which key, for errors.
   */
  private static Map<String, String> meshKeys(
      Map<String, String> flags, DefaultConfigProperties environment, Map<String, String> flagOfKey) {
    Map<String, String> keys = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : PROXY_DEFAULTS.entrySet()) {
      if (environment.getString(entry.getKey()) == null) {
        keys.put(entry.getKey(), entry.getValue());
      }
    }
    if (flags.get(MeshOptions.PROPAGATION) == null && flags.get(MeshOptions.MESH_VERSION) == null
        && environment.getString(MeshOptions.PROPAGATION) == null
        && environment.getString(MeshOptions.MESH_VERSION) == null) {
      keys.put(MeshOptions.PROPAGATION, "b3multi");
    }
    for (Flag flag : FLAGS) {
      String value = flags.get(flag.key());
      if (value != null && flag.plainKey()) {
        keys.put(flag.key(), value);
        flagOfKey.put(flag.key(), flag.name());
      }
    }

    String exporter = flags.get("--exporter");
    boolean otlp;
    if (exporter != null) {
      ExportProtocol protocol = ExportProtocol.fromConfigName(exporter.trim());
      if (protocol == null) {
        throw new IllegalArgumentException("--exporter=" + exporter
            + ": must be one of zipkin, zipkin-proto, zipkin-v1, otlp-grpc, otlp-http, none");
      }
      otlp = protocol == ExportProtocol.OTLP_GRPC || protocol == ExportProtocol.OTLP_HTTP;
      if (otlp) {
        keys.put("otel.traces.exporter", "otlp");
        keys.put("otel.exporter.otlp.traces.protocol", protocol == ExportProtocol.OTLP_GRPC ? "grpc" : "http/protobuf");
      } else if (protocol == ExportProtocol.NONE) {
        keys.put("otel.traces.exporter", "none");
      } else {
        keys.put("otel.traces.exporter", MeshOptions.SPI_NAME);
        keys.put(MeshOptions.ZIPKIN_ENCODING, protocol.zipkinEncoding().configName());
      }
    } else {
      String configured = environment.getString("otel.traces.exporter");
      otlp = configured != null && configured.trim().startsWith("otlp");
    }
    String endpoint = flags.get("--endpoint");
    if (endpoint != null) {
      String key = otlp ? "otel.exporter.otlp.traces.endpoint" : "otel.exporter.zipkin.endpoint";
      keys.put(key, endpoint);
      flagOfKey.put(key, "--endpoint");
    }
    String headers = flags.get("--exporter-headers");
    if (headers != null) {
      String key = otlp ? "otel.exporter.otlp.traces.headers" : MeshOptions.ZIPKIN_HEADERS;
      keys.put(key, percentEncodedValues(headers));
      flagOfKey.put(key, "--exporter-headers");
    }
    String sampling = flags.get("--sampling");
    if (sampling != null) {
      double percent;
      try {
        percent = Double.parseDouble(sampling.trim());
      } catch (NumberFormatException e) {
        percent = Double.NaN;
      }
      if (!(percent >= 0 && percent <= 100)) {
        throw new IllegalArgumentException("--sampling=" + sampling + ": must be between 0 and 100");
      }
      keys.put("otel.traces.sampler", "parentbased_traceidratio");
      keys.put("otel.traces.sampler.arg", Double.toString(percent / 100));
    }
    return keys;
  }

  /**
   * {@code name=value,...} as typed on the command line, with each value percent-encoded the
   * way OpenTelemetry's header settings expect, so a token's {@code +} or {@code %} arrives as typed.
   */
  private static String percentEncodedValues(String headers) {
    StringBuilder out = new StringBuilder();
    for (String pair : headers.split(",", -1)) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--exporter-headers=" + pair.trim()
            + ": must be a comma-separated list of name=value");
      }
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(pair, 0, eq).append('=')
          .append(URLEncoder.encode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return out.toString();
  }

  /** Rewrites {@code otel.exporter.zipkin.endpoint=x: ...} as {@code --endpoint=x: ...} when a flag set it. */
  private static String flagMessage(String message, Map<String, String> flagOfKey) {
    for (Map.Entry<String, String> entry : flagOfKey.entrySet()) {
      if (message.startsWith(entry.getKey() + "=") || message.startsWith(entry.getKey() + " ")
          || message.startsWith(entry.getKey() + ":")) {
        return entry.getValue() + message.substring(entry.getKey().length());
      }
    }
    return message;
  }
}
