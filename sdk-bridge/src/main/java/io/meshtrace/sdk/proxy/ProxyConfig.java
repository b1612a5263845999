package io.meshtrace.sdk.proxy;

import io.meshtrace.sdk.MeshSettings;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * ExternalProxy's configuration: where it listens, the gateway it forwards to, and the mesh
 * settings for its spans.
 *
 * <p>Every flag is also read from a system property: {@code --gateway} from
 * {@code meshtrace.proxy.gateway}, {@code --port} from {@code meshtrace.proxy.port}, and the
 * mesh flags from their {@code meshtrace.*} keys (see {@link MeshSettings}). Flags win.
 */
record ProxyConfig(String bind, int port, URI gateway, Duration upstreamTimeout, MeshSettings mesh) {

  static final String USAGE = String.join("\n",
      "usage: java -jar external-proxy.jar --gateway URL [options]",
      "       java -jar external-proxy.jar check-propagation --zipkin URL [--service NAME] [--lookback 15m]",
      "  --gateway URL           where requests go, e.g. http://ingress.example:80 (required)",
      "  --port N                listen port, 0 for any free one (default 8080)",
      "  --bind ADDRESS          listen address (default 0.0.0.0)",
      "  --upstream-timeout D    per request to the gateway (default 10s)",
      "  --service NAME          service name of the proxy's spans (default external-proxy)",
      "  --namespace NS          service namespace",
      "  --propagation LIST      b3 | b3multi | b3single | w3c, comma-separated (default b3)",
      "  --mesh-version V        choose propagation by mesh version (B3 up to 1.18.0.124)",
      "  --exporter P            zipkin | zipkin-proto | zipkin-v1 | otlp-grpc | otlp-http | none (default zipkin)",
      "  --endpoint URL          span receiver, e.g. http://127.0.0.1:9411/api/v2/spans",
      "  --exporter-headers H    name=value,... sent with each export (e.g. an auth token)",
      "  --exporter-delay D      batch delay before spans are sent (default 1s)",
      "  --sampling PCT          percent of requests traced (default 100)");

  private static final Map<String, String> FLAG_KEYS = Map.ofEntries(
      Map.entry("--gateway", "meshtrace.proxy.gateway"),
      Map.entry("--port", "meshtrace.proxy.port"),
      Map.entry("--bind", "meshtrace.proxy.bind"),
      Map.entry("--upstream-timeout", "meshtrace.proxy.upstream-timeout"),
      Map.entry("--service", MeshSettings.SERVICE_NAME),
      Map.entry("--namespace", MeshSettings.SERVICE_NAMESPACE),
      Map.entry("--propagation", MeshSettings.PROPAGATION),
      Map.entry("--mesh-version", MeshSettings.MESH_VERSION),
      Map.entry("--exporter", MeshSettings.EXPORTER),
      Map.entry("--endpoint", MeshSettings.EXPORTER_ENDPOINT),
      Map.entry("--exporter-headers", MeshSettings.EXPORTER_HEADERS),
      Map.entry("--exporter-delay", MeshSettings.EXPORTER_DELAY),
      Map.entry("--sampling", MeshSettings.SAMPLING));

  /**
   * Parses flags ({@code --name value} or {@code --name=value}) over {@code properties}.
   *
   * @throws IllegalArgumentException naming the flag, the value and what was expected
   */
  static ProxyConfig parse(String[] args, Function<String, String> properties) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String flag = arg;
      String value;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        flag = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException(arg + ": missing value");
      }
      String key = FLAG_KEYS.get(flag);
      if (key == null) {
        throw new IllegalArgumentException(flag + ": unknown option");
      }
      values.put(key, value);
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
      bind = "0.0.0.0";
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
    for (Map.Entry<String, String> entry : FLAG_KEYS.entrySet()) {
      if (message.startsWith(entry.getValue() + "=") || message.startsWith(entry.getValue() + " ")) {
        return entry.getKey() + message.substring(entry.getValue().length());
      }
    }
    return message;
  }
}
