package io.meshtrace.xds.config;

import io.meshtrace.context.HttpToken;
import io.meshtrace.xds.config.MeshConfig.Gateway;
import io.meshtrace.xds.config.MeshConfig.GatewayRoute;
import io.meshtrace.xds.config.MeshConfig.HeaderRepair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads {@code gateway}: the ingress gateway's listener, virtual host domains, routes and trace
 * header repair. Routes name services; {@link CrossChecks} resolves them to service ports.
 */
final class GatewayReader {

  /** The gateway as read; {@code routes} null when the file has none (the default applies). */
  record Draft(String address, int port, List<String> hosts, List<RouteDraft> routes,
      HeaderRepair headerRepair) {}

  /** A route as read; {@code port} null for the service's first port. */
  record RouteDraft(String path, String prefix, String service, Integer port) {}

  /** Envoy's limit on ext_proc's {@code message_timeout}. */
  private static final Duration MAX_EXT_PROC_TIMEOUT = Duration.ofHours(1);

  private GatewayReader() {}

  static Draft read(ConfigTree section, References refs) {
    String address = Gateway.DEFAULT_ADDRESS;
    int port = Gateway.DEFAULT_PORT;
    List<String> hosts = Gateway.DEFAULT_HOSTS;
    List<RouteDraft> routes = null;
    HeaderRepair repair = HeaderRepair.DEFAULT;
    ConfigTree o = section.node() == null ? null
        : section.mapping(Set.of("address", "port", "hosts", "routes", "headerRepair"));
    if (o != null) {
      String a = o.host("address", false, "must be an IP address or host name");
      address = a == null ? address : a;
      Integer p = o.port("port", false);
      port = p == null ? port : p;
      if (o.has("hosts")) {
        hosts = hosts(o);
      }
      if (o.has("routes")) {
        routes = routes(o.at("routes"), refs);
      }
      if (o.has("headerRepair")) {
        repair = headerRepair(o.at("headerRepair"));
      }
    }
    return new Draft(address, port, hosts, routes, repair);
  }

  private static List<String> hosts(ConfigTree gateway) {
    List<String> out = new ArrayList<>();
    List<ConfigTree> items = gateway.at("hosts").items();
    for (ConfigTree item : items) {
      String h = item.scalar();
      if (h != null && !h.equals("*")
          && !ValueSyntax.isHost(h.startsWith("*.") ? h.substring(2) : h)) {
        item.error(h, "must be *, a host name or *.domain");
      } else if (h != null && out.contains(h)) {
        item.error(h, "duplicate host");
      } else if (h != null) {
        out.add(h);
      }
    }
    if (items.isEmpty()) {
      gateway.error("hosts", "[]", "name at least one host (* for any)");
    }
    return List.copyOf(out);
  }

  private static List<RouteDraft> routes(ConfigTree node, References refs) {
    List<RouteDraft> out = new ArrayList<>();
    Set<String> prefixes = new HashSet<>();
    for (ConfigTree item : node.items()) {
      ConfigTree o = item.mapping(Set.of("prefix", "service", "port"));
      if (o == null) {
        continue;
      }
      String prefix = o.httpPath("prefix", GatewayRoute.DEFAULT_PREFIX);
      if (!prefixes.add(prefix)) {
        o.error("prefix", prefix, "duplicate prefix (the later route would never match)");
      }
      String service = o.string("service", true);
      Integer port = o.port("port", false);
      if (service != null) {
        refs.service(o.at("service").path(), service);
        out.add(new RouteDraft(o.path(), prefix, service, port));
      }
    }
    return out;
  }

  private static HeaderRepair headerRepair(ConfigTree node) {
    HeaderRepair dflt = HeaderRepair.DEFAULT;
    ConfigTree o = node.mapping(Set.of("enabled", "extProc", "markerHeader"));
    if (o == null) {
      return dflt;
    }
    Boolean enabled = o.bool("enabled");
    String host = null;
    int port = dflt.extProcPort();
    Duration timeout = dflt.timeout();
    boolean allow = dflt.failureModeAllow();
    UpstreamTls tls = dflt.tls();
    ConfigTree ep = o.at("extProc");
    if (o.has("extProc")) {
      ConfigTree e = ep.mapping(Set.of("host", "port", "timeout", "failureModeAllow", "tls"));
      if (e != null) {
        host = e.host("host", false, "must be a host name or IP address");
        Integer p = e.port("port", false);
        port = p == null ? port : p;
        timeout = e.duration("timeout", timeout, true);
        if (timeout.compareTo(MAX_EXT_PROC_TIMEOUT) > 0) {
          e.error("timeout", e.at("timeout").text(), "must be at most 3600s");
          timeout = dflt.timeout();
        }
        Boolean a = e.bool("failureModeAllow");
        allow = a == null ? allow : a;
        if (e.has("tls")) {
          tls = upstreamTls(e.at("tls"));
        }
      }
    }
    boolean on = Boolean.TRUE.equals(enabled);
    if (on && host == null && !o.problems().reportedUnder(ep.path())) {
      ep.error("host", "(missing)", "required when headerRepair.enabled is true");
    }
    String marker = dflt.markerHeader();
    if (o.has("markerHeader")) {
      marker = o.string("markerHeader", false);
      if (marker != null && marker.isEmpty()) {
        marker = null;
      } else if (marker != null && (!HttpToken.isToken(marker)
          || !marker.equals(marker.toLowerCase(Locale.ROOT)))) {
        o.error("markerHeader", marker, "must be a lower-case HTTP header name");
        marker = dflt.markerHeader();
      }
    }
    return new HeaderRepair(on, host, port, timeout, allow, marker, tls);
  }

  /**
   * {@code extProc.tls}: files on the gateway's machine (absolute paths, not read here), the
   * CA required so that Envoy checks ext-proc's certificate.
   */
  static UpstreamTls upstreamTls(ConfigTree node) {
    ConfigTree o = node.mapping(Set.of("trustedCa", "certChain", "privateKey", "sni"));
    if (o == null) {
      return null;
    }
    String ca = envoyFile(o, "trustedCa", true);
    String chain = envoyFile(o, "certChain", false);
    String key = envoyFile(o, "privateKey", false);
    String sni = o.string("sni", false);
    if (sni != null && !ValueSyntax.isDnsName(sni)) {
      o.error("sni", sni, "must be a DNS name (the name in ext-proc's certificate)");
      sni = null;
    }
    if (o.has("certChain") != o.has("privateKey")) {
      o.error(o.has("certChain") ? "privateKey" : "certChain", "(missing)",
          "certChain and privateKey go together (the client certificate for mTLS)");
      return null;
    }
    if (ca == null || (o.has("certChain") && (chain == null || key == null))) {
      return null;
    }
    return new UpstreamTls(ca, chain, key, sni);
  }

  private static String envoyFile(ConfigTree o, String key, boolean required) {
    String s = o.string(key, required);
    if (s != null && (!s.startsWith("/") || ValueSyntax.hasControl(s))) {
      o.error(key, s, "must be an absolute path on the gateway's file system");
      return null;
    }
    return s;
  }
}
