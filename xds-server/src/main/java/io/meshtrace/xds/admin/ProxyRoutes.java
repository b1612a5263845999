package io.meshtrace.xds.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.meshtrace.admin.AdminRequest;
import io.meshtrace.admin.AdminResponse;
import io.meshtrace.admin.Route;
import io.meshtrace.xds.server.ProxyRegistry;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The proxy routes of the admin API.
 *
 * <pre>
 * GET /proxies                      this replica's streams, each naming the replica
 * GET /proxies?scope=fleet          every replica's streams (peers asked in parallel, 2 s at most)
 * GET /proxies/{node}/config        what the node was last sent, as Envoy's /config_dump
 * GET /proxies/{node}/config?type=cluster,listener   only those types
 * </pre>
 * The view, local or fleet:
 * <pre>
 * {"scope": "local", "replica": "xds-server-7c9f-abcde",
 *  "replicas": [{"replica": "xds-server-7c9f-abcde", "state": "ok", "proxies": 1},
 *               {"peer": "http://10.0.0.8:18001", "state": "unreachable", "error": "..."}],
 *  "proxies": [{"replica": "xds-server-7c9f-abcde", "node": "productpage-1", ...}]}
 * </pre>
 */
final class ProxyRoutes {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONFIG_SUFFIX = "/config";

  private final ProxyRegistry registry;
  private final Fleet fleet;
  private final ScrubbedJson answers;

  /** The routes over {@code registry}; every answer goes out through {@code answers}. */
  ProxyRoutes(ProxyRegistry registry, Fleet fleet, ScrubbedJson answers) {
    this.registry = registry;
    this.fleet = fleet;
    this.answers = answers;
  }

  List<Route> routes() {
    return List.of(Route.get("/proxies", this::proxies), Route.get("/proxies/*", this::config));
  }

  private AdminResponse proxies(AdminRequest request) {
    Query q;
    try {
      q = Query.parse(request.query(), List.of("scope"));
    } catch (IllegalArgumentException e) {
      return error(400, e.getMessage());
    }
    List<String> scope = q.values("scope");
    String s = scope.isEmpty() ? "local" : scope.get(scope.size() - 1);
    if (!s.equals("local") && !s.equals("fleet")) {
      return error(400, "scope=" + s + ": expected local or fleet");
    }
    ObjectNode local = local();
    if (s.equals("local")) {
      return json(200, local);
    }
    try {
      // Peers share this replica's tokens: the caller's own credentials go on to them.
      return json(200, fleet.merge(local, bearer(request.header("Authorization"))));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(503, "interrupted while asking the peers");
    }
  }

  /** This replica's view. */
  ObjectNode local() {
    ObjectNode view = JSON.createObjectNode();
    view.put("scope", "local");
    view.put("replica", fleet.replica());
    List<Map<String, Object>> own = registry.proxies();
    view.putArray("replicas").addObject().put("replica", fleet.replica()).put("state", "ok")
        .put("proxies", own.size());
    ArrayNode proxies = view.putArray("proxies");
    for (Map<String, Object> p : own) {
      ObjectNode row = proxies.addObject();
      row.put("replica", fleet.replica());
      row.setAll((ObjectNode) JSON.valueToTree(p));
    }
    return view;
  }

  private AdminResponse config(AdminRequest request) throws InvalidProtocolBufferException {
    String path = request.path();
    String prefix = "/proxies/";
    if (!path.endsWith(CONFIG_SUFFIX) || path.length() <= prefix.length() + CONFIG_SUFFIX.length()) {
      return error(404, "no such path: " + clip(path) + "; expected /proxies/{node}/config");
    }
    String node = path.substring(prefix.length(), path.length() - CONFIG_SUFFIX.length());
    List<String> types;
    try {
      types = ConfigDumps.types(Query.parse(request.query(), List.of("type")).values("type"));
    } catch (IllegalArgumentException e) {
      return error(400, e.getMessage());
    }
    Map<String, ProxyRegistry.SentType> sent = registry.sent(node);
    if (sent == null) {
      return error(404, "node " + clip(node) + " has no open stream on replica "
          + fleet.replica() + " (GET /proxies?scope=fleet shows which replica serves it)");
    }
    return answers.text(200, ConfigDumps.json(sent, types));
  }

  private static String clip(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /** The token of an {@code Authorization: Bearer TOKEN} header, or null. */
  private static String bearer(String authorization) {
    String scheme = "Bearer ";
    return authorization != null && authorization.regionMatches(true, 0, scheme, 0,
        scheme.length()) ? authorization.substring(scheme.length()).trim() : null;
  }

  private AdminResponse error(int status, String message) {
    return json(status, JSON.createObjectNode().put("error", message));
  }

  private AdminResponse json(int status, Object body) {
    return answers.of(status, body);
  }

  /** A query string of known keys, {@code a=1&b=2}, values decoded. */
  private record Query(List<String[]> pairs) {

    static Query parse(String raw, List<String> known) {
      List<String[]> pairs = new ArrayList<>();
      if (raw != null && !raw.isEmpty()) {
        for (String part : raw.split("&", -1)) {
          if (part.isEmpty()) {
            continue;
          }
          int eq = part.indexOf('=');
          String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq),
              StandardCharsets.UTF_8);
          String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1),
              StandardCharsets.UTF_8);
          if (!known.contains(k)) {
            throw new IllegalArgumentException("query parameter " + clip(k)
                + ": unknown; expected " + String.join(", ", known));
          }
          pairs.add(new String[] {k, v});
        }
      }
      return new Query(pairs);
    }

    List<String> values(String key) {
      List<String> out = new ArrayList<>();
      for (String[] p : pairs) {
        if (p[0].equals(key)) {
          out.add(p[1]);
        }
      }
      return out;
    }
  }
}
