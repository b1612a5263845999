package io.meshtrace.xds.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.admin.AdminRequest;
import io.meshtrace.admin.AdminResponse;
import io.meshtrace.admin.BearerToken;
import io.meshtrace.admin.CrossSiteCheck;
import io.meshtrace.admin.Route;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.live.ConfigStore;
import io.meshtrace.xds.live.WriteResult;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * xds-server's routes on the shared admin server ({@link io.meshtrace.admin.AdminServer}, which
 * also answers {@code /healthz}, {@code /readyz} and {@code /metrics}).
 *
 * <pre>
 * GET  /config/tracing   tracing keys of the config (JSON) and the versions per group
 * PUT  /config/tracing   replace tracing keys, e.g. {"tracing":[{"randomSamplingPercentage":5}]}
 *                        (needs "Authorization: Bearer TOKEN"; 400 with messages when invalid)
 * GET  /proxies          connected nodes: group, versions sent and acked per type, last NACK
 * GET  /                 the web console, and its routes ({@link ConsoleApi})
 * </pre>
 *
 * <p>A PUT a browser sent from another site's page is refused ({@link CrossSiteCheck}).
 */
public final class AdminApi {

  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Largest PUT body: the config file's own limit, so whatever is accepted can be read back. */
  static final int MAX_BODY = ConfigText.MAX_BYTES;
  private static final String WRITES = "meshtrace_xds_admin_writes_total";

  private final ConfigStore store;
  private final ControlPlane plane;
  private final Metrics metrics;
  private final BearerToken token;

  /**
   * @param token bearer token for writes; null or blank refuses every write
   */
  public AdminApi(ConfigStore store, ControlPlane plane, Metrics metrics, String token) {
    this.store = store;
    this.plane = plane;
    this.metrics = metrics;
    this.token = BearerToken.of(token);
    metrics.describe(WRITES, "PUT /config/tracing by result");
  }

  /** The routes to add to the admin server. */
  public List<Route> routes() {
    List<Route> routes = new ArrayList<>(List.of(
        Route.get("/proxies", r -> json(200, plane.registry().proxies())),
        Route.of("/config/tracing", Set.of("GET", "PUT"), MAX_BODY, r ->
            r.method().equals("PUT") ? put(r) : json(200, tracingView()))));
    routes.addAll(new ConsoleApi(store, plane, this::denied).routes());
    return routes;
  }

  /** The refusal of a request without the admin token, or null when it carries it. */
  private AdminResponse denied(AdminRequest request) {
    if (token != null && token.matches(request.header("Authorization"))) {
      return null;
    }
    return json(token == null ? 403 : 401, Map.of("error", token == null
        ? "writes are disabled: no admin token configured (server.admin.tokenFile or "
            + "MESHTRACE_ADMIN_TOKEN)"
        : "missing or wrong bearer token")).withHeader("WWW-Authenticate", "Bearer");
  }

  private AdminResponse put(AdminRequest request) {
    AdminResponse refused = CrossSiteCheck.refusal(request);
    if (refused == null) {
      refused = denied(request);
    }
    if (refused != null) {
      metrics.increment(WRITES, Metrics.label("result", "denied"));
      return refused;
    }
    WriteResult o;
    try {
      o = store.updateTracing(request.body());
    } catch (IOException e) {
      LOG.error("cannot write {}: {}", store.file(), e.toString());
      metrics.increment(WRITES, Metrics.label("result", "failed"));
      return json(500, Map.of("error", "config file not written, nothing changed: " + e));
    }
    if (!o.isApplied()) {
      int status = switch (o.status()) {
        case CONFLICT -> 409;
        case TOO_LARGE -> 413;
        default -> 400;
      };
      metrics.increment(WRITES, Metrics.label("result", status == 409 ? "conflict" : "rejected"));
      if (status == 400) {
        metrics.increment("meshtrace_xds_config_rejected_total", "");
      }
      return json(status, Map.of("errors", o.errors()));
    }
    metrics.increment(WRITES, Metrics.label("result", "applied"));
    return json(200, tracingView());
  }

  private Map<String, Object> tracingView() {
    JsonNode doc = store.document();
    ObjectNode config = JSON.createObjectNode();
    for (String k : List.of("meshVersion", "propagation", "defaultProviders",
        "extensionProviders", "tracing")) {
      if (doc.has(k)) {
        config.set(k, doc.get(k));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("config", config);
    MeshConfig c = plane.config();
    if (c != null) {
      out.put("effectivePropagation", c.propagation().configName());
      out.put("propagationSource", c.propagationExplicit() ? "propagation"
          : c.meshVersion() != null ? "meshVersion" : "default");
      out.put("warnings", c.warnings());
    }
    out.put("versions", plane.versionsByGroup());
    out.put("lastRejected", store.lastErrors());
    return out;
  }

  static AdminResponse json(int status, Object body) {
    try {
      return AdminResponse.json(status,
          JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
