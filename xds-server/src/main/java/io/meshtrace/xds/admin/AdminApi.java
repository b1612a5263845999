package io.meshtrace.xds.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.admin.AdminRequest;
import io.meshtrace.admin.AdminResponse;
import io.meshtrace.admin.CrossSiteCheck;
import io.meshtrace.admin.Route;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.Redaction;
import io.meshtrace.xds.live.ConfigSource;
import io.meshtrace.xds.live.WriteResult;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.io.IOException;
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
 *                        (400 with messages when invalid; written where the
 *                        {@link ConfigSource} keeps the config: 409 when it changed meanwhile
 *                        or cannot be written)
 * GET  /proxies          connected nodes: group, versions sent and acked per type, last NACK;
 *                        ?scope=fleet every replica's; /proxies/{node}/config ({@link ProxyRoutes})
 * GET  /                 the web console, and its routes ({@link ConsoleApi})
 * </pre>
 *
 * The admin server asks for the tokens ({@link io.meshtrace.admin.AdminTokens}). No answer
 * holds a secret value: the config is shown through {@link Redaction#document} (references as
 * written, sensitive literals as {@value Redaction#REDACTED}), and every answer is scrubbed of
 * the served config's secret values ({@link Redaction#scrub}).
 *
 * <p>A PUT a browser sent from another site's page is refused ({@link CrossSiteCheck}).
 */
public final class AdminApi {

  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Largest PUT body: the config file's own limit, so whatever is accepted can be read back. */
  static final int MAX_BODY = ConfigText.MAX_BYTES;
  private static final String WRITES = "meshtrace_xds_admin_writes_total";

  private final ConfigSource store;
  private final ControlPlane plane;
  private final Metrics metrics;
  private final ProxyRoutes proxies;
  private final ScrubbedJson answers;

  /** The routes over {@code store} and {@code plane}, this replica alone. */
  public AdminApi(ConfigSource store, ControlPlane plane, Metrics metrics) {
    this(store, plane, metrics, Fleet.alone());
  }

  /**
   * The routes over {@code store} and {@code plane}, with this replica's name and peers for the
   * fleet view; the admin server checks the tokens.
   */
  public AdminApi(ConfigSource store, ControlPlane plane, Metrics metrics, Fleet fleet) {
    this.answers = new ScrubbedJson(plane);
    this.proxies = new ProxyRoutes(plane.registry(), fleet, answers);
    this.store = store;
    this.plane = plane;
    this.metrics = metrics;
    metrics.describe(WRITES, "PUT /config/tracing by result");
  }

  /** The routes to add to the admin server. */
  public List<Route> routes() {
    List<Route> routes = new ArrayList<>(proxies.routes());
    routes.add(Route.of("/config/tracing", Set.of("GET", "PUT"), MAX_BODY, r ->
        r.method().equals("PUT") ? put(r) : json(200, tracingView())));
    routes.addAll(new ConsoleApi(store, plane, answers).routes());
    return routes;
  }

  private AdminResponse put(AdminRequest request) {
    AdminResponse refused = CrossSiteCheck.refusal(request);
    if (refused != null) {
      metrics.increment(WRITES, Metrics.label("result", "denied"));
      return refused;
    }
    WriteResult o;
    try {
      o = store.updateTracing(request.body());
    } catch (IOException e) {
      LOG.error("cannot write {}: {}", store.describe(), e.toString());
      metrics.increment(WRITES, Metrics.label("result", "failed"));
      return json(500, Map.of("error", store.describe() + " not written, nothing changed: " + e));
    }
    if (!o.isApplied()) {
      int status = switch (o.status()) {
        case CONFLICT -> 409;
        case TOO_LARGE -> 413;
        case UNAVAILABLE -> 503;
        default -> 400;
      };
      metrics.increment(WRITES, Metrics.label("result", status == 409 ? "conflict" : "rejected"));
      if (status == 400) {
        metrics.increment("meshtrace_xds_config_rejected_total", "");
      }
      Map<String, Object> answer = new LinkedHashMap<>(o.details());
      answer.put("errors", o.errors());
      return json(status, answer);
    }
    metrics.increment(WRITES, Metrics.label("result", "applied"));
    Map<String, Object> answer = new LinkedHashMap<>(o.details());
    answer.putAll(tracingView());
    return json(200, answer);
  }

  private Map<String, Object> tracingView() {
    JsonNode doc = store.document();
    ObjectNode config = JSON.createObjectNode();
    for (String k : List.of("meshVersion", "propagation", "defaultProviders",
        "extensionProviders", "tracing")) {
      if (doc != null && doc.has(k)) {
        config.set(k, Redaction.document(doc.get(k)));
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

  private AdminResponse json(int status, Object body) {
    return answers.of(status, body);
  }
}
