package io.meshtrace.sdk.proxy;

import io.meshtrace.sdk.MeshSettings;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * ExternalProxy's configuration: where it listens, the gateway it forwards to, and the mesh
 * settings for its spans.
 *
 * <p>Every flag is also read from a system property: {@code --gateway} from
 * {@code meshtrace.proxy.gateway}, {@code --port} from {@code meshtrace.proxy.port}, and the
 * mesh flags from their {@code meshtrace.*} keys (see {@link MeshSettings}). Flags win.
 */
record ProxyConfig(String bind, int port, URI gateway, Duration upstreamTimeout, MeshSettings mesh) {

  /** One command-line flag: its name, the property it overrides, how help shows it. */
  record Flag(String name, String key, String label, String description) {}

  /** Every flag, in the order help lists them. */
  static final List<Flag> FLAGS = List.of(
      new Flag("--gateway", "meshtrace.proxy.gateway", "URL",
          "where requests go, e.g. http://ingress.example:80 (required)"),
      new Flag("--port", "meshtrace.proxy.port", "N",
          "listen port, 0 for any free one (default 8080)"),
      new Flag("--bind", "meshtrace.proxy.bind", "ADDR",
          "listen address (default 127.0.0.1; 0.0.0.0 for every interface)"),
      new Flag("--upstream-timeout", "meshtrace.proxy.upstream-timeout", "D",
          "per request to the gateway (default 10s)"),
      new Flag("--service", MeshSettings.SERVICE_NAME, "NAME",
          "service name of the proxy's spans (default external-proxy)"),
      new Flag("--namespace", MeshSettings.SERVICE_NAMESPACE, "NS", "service namespace"),
      new Flag("--propagation", MeshSettings.PROPAGATION, "LIST",
          "b3 | b3multi | b3single | w3c, comma-separated (default b3)"),
      new Flag("--mesh-version", MeshSettings.MESH_VERSION, "V",
          "choose propagation by mesh version (B3 up to 1.18.0.124)"),
      new Flag("--exporter", MeshSettings.EXPORTER, "P",
          "zipkin | zipkin-proto | zipkin-v1 | otlp-grpc | otlp-http | none (default zipkin)"),
      new Flag("--endpoint", MeshSettings.EXPORTER_ENDPOINT, "URL",
          "span receiver, e.g. http://127.0.0.1:9411/api/v2/spans"),
      new Flag("--exporter-headers", MeshSettings.EXPORTER_HEADERS, "H",
          "name=value,... sent with each export (e.g. an auth token)"),
      new Flag("--exporter-delay", MeshSettings.EXPORTER_DELAY, "D",
          "batch delay before spans are sent (default 1s)"),
      new Flag("--sampling", MeshSettings.SAMPLING, "PCT",
          "percent of requests traced (default 100)"));

  /**
   * Parses flags ({@code --name value} or {@code --name=value}) over {@code properties}, the
   * way {@code external-proxy.jar} does.
   *
   * @throws IllegalArgumentException naming the flag, the value and what was expected (or the
   *     unknown flag, or the flag without its value)
   */
  static ProxyConfig parse(String[] args, Function<String, String> properties) {
    CommandLine cl = ProxyCommand.commandLine(System.out, System.err);
    try {
      cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return fromFlags(ProxyCommand.values(cl.getParseResult()), properties);
  }

  /**
   * The configuration from flag values by flag name over {@code properties}.
   *
   * @throws IllegalArgumentException naming the flag, the value and what was expected
   */
  static ProxyConfig fromFlags(Map<String, String> flags, Function<String, String> properties) {
    Map<String, String> values = new HashMap<>();
    for (Flag flag : FLAGS) {
      String v = flags.get(flag.name());
      if (v != null) {
        values.put(flag.key(), v);
      }
    }
    Function<String, String> lookup = key -> {
      String v = values.get(key);
      return v != null ? v : properties.apply(key);
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

    MeshSettings mesh;
    try {
      mesh = MeshSettings.fromProperties(key -> {
        String v = lookup.apply(key);
        if (v != null) {
          return v;
        }
        if (MeshSettings.SERVICE_NAME.equals(key)) {
          return "external-proxy";
        }
        if (MeshSettings.PROPAGATION.equals(key) && lookup.apply(MeshSettings.MESH_VERSION) == null) {
          return "b3";
        }
        return null;
      });
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flagMessage(e.getMessage()));
    }
    return new ProxyConfig(bind.trim(), port, gateway, upstreamTimeout, mesh);
  }

  /** Rewrites {@code meshtrace.sampling=140: ...} as {@code --sampling=140: ...}. */
  private static String flagMessage(String message) {
    for (Flag flag : FLAGS) {
      if (message.startsWith(flag.key() + "=") || message.startsWith(flag.key() + " ")) {
        return flag.name() + message.substring(flag.key().length());
      }
    }
    return message;
  }
}
