package io.meshtrace.xds.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshtrace.admin.AdminRequest;
import io.meshtrace.admin.AdminResponse;
import io.meshtrace.admin.CrossSiteCheck;
import io.meshtrace.admin.Route;
import io.meshtrace.check.ZipkinTraceSource;
import io.meshtrace.context.explain.ExplainCommand;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.live.ConfigSource;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.snapshot.EffectiveTracing;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeRole;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The routes the web console needs beyond {@code /proxies} and {@code /config/tracing}.
 *
 * <pre>
 * POST /config/tracing/validate  a PUT /config/tracing body checked by the same parser and
 *                                snapshot checks, nothing written: {"ok":false,"errors":[
 *                                "extensionProviders[0].zipkin.port=99999: must be ..."]}
 * GET  /console/sampling         per node group: provider and sampling in force, inbound and
 *                                outbound, the rules that set them, per-route overrides
 * POST /console/explain          {"headers":"x-b3-traceid: 80f1...\n","formats":"w3c,b3multi"}
 *                                -> trace-context's explain: verdict, reason, kept ids, text
 * POST /console/trace-breaks     {"zipkin":"http://zipkin:9411","traceId":"80f1..."} -> the
 *                                propagation check on that trace's time window and the
 *                                waterfall with the hop that drops the headers marked
 * </pre>
 *
 * <p>The POST routes take {@code application/json} only (a cross-site form cannot send it
 * without a CORS preflight, which this server never grants) and refuse requests another site's
 * page sent ({@link CrossSiteCheck}). Validation and trace breaks need the admin token like a
 * write: the first builds every snapshot, the second makes the server fetch a URL.
 */
final class ConsoleApi {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Largest explain or trace-breaks body: pasted request headers. */
  static final int MAX_SMALL_BODY = 64 << 10;
  private static final Set<String> EXPLAIN_FORMATS = Set.of("w3c", "b3multi", "b3single");
  private static final Set<String> EDGE_SAMPLING = Set.of("trust", "defer", "deny-forced");

  private final ConfigSource store;
  private final ControlPlane plane;
  private final ScrubbedJson answers;

  /** The routes over {@code store} and {@code plane}; the admin server checks the tokens. */
  ConsoleApi(ConfigSource store, ControlPlane plane, ScrubbedJson answers) {
    this.store = store;
    this.plane = plane;
    this.answers = answers;
  }

  List<Route> routes() {
    List<Route> out = new ArrayList<>(ConsoleAssets.routes());
    // Checks that change nothing need a read token; trace breaks the write token, since the
    // server then calls a URL the request names.
    out.add(Route.of("/config/tracing/validate", Set.of("POST"), AdminApi.MAX_BODY,
        r -> guarded(r, this::validate)).withAccess(Route.Access.READ));
    out.add(Route.get("/console/sampling", r -> json(200, sampling())));
    out.add(Route.of("/console/explain", Set.of("POST"), MAX_SMALL_BODY,
        r -> guarded(r, this::explain)).withAccess(Route.Access.READ));
    out.add(Route.of("/console/trace-breaks", Set.of("POST"), MAX_SMALL_BODY,
        r -> guarded(r, this::traceBreaks)));
    return out;
  }

  /** Cross-site check and a JSON body; then the handler. */
  private AdminResponse guarded(AdminRequest r, Function<AdminRequest, AdminResponse> handler) {
    AdminResponse refused = CrossSiteCheck.refusal(r);
    if (refused != null) {
      return refused;
    }
    String type = r.header("Content-Type");
    if (type == null || !type.trim().toLowerCase(Locale.ROOT).startsWith("application/json")) {
      return json(415, Map.of("error", "Content-Type=" + (type == null ? "(missing)"
          : type) + ": expected application/json"));
    }
    return handler.apply(r);
  }

  private AdminResponse validate(AdminRequest r) {
    List<String> errors = store.checkTracing(r.body());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ok", errors.isEmpty());
    out.put("errors", errors);
    return json(200, out);
  }

  private Map<String, Object> sampling() {
    MeshConfig config = plane.config();
    Map<String, Object> out = new LinkedHashMap<>();
    List<Map<String, Object>> groups = new ArrayList<>();
    for (String printed : plane.versionsByGroup().keySet()) {
      GroupKey g = GroupKey.parse(printed);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("group", printed);
      row.put("role", g.role().key());
      row.put("service", g.service());
      if (g.role() == NodeRole.SIDECAR) {
        row.put("inbound", effect(EffectiveTracing.resolve(config, g.service(), false)));
      }
      row.put("outbound", effect(EffectiveTracing.resolve(config, g.service(), true)));
      List<Map<String, Object>> routes = new ArrayList<>();
      MeshConfig.Service service = g.service().isEmpty() ? null : config.service(g.service());
      if (service != null) {
        for (MeshConfig.Route route : service.routes()) {
          if (route.tracing() != null) {
            Map<String, Object> rt = new LinkedHashMap<>();
            rt.put("route", route.name() == null ? route.prefix() : route.name());
            rt.put("prefix", route.prefix());
            rt.put("randomSamplingPercentage", route.tracing().randomSamplingPercentage());
            rt.put("source", route.tracing().path());
            routes.add(rt);
          }
        }
      }
      row.put("routes", routes);
      groups.add(row);
    }
    out.put("groups", groups);
    return out;
  }

  private static Map<String, Object> effect(EffectiveTracing t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("provider", t.provider() == null ? null : t.provider().name());
    m.put("randomSamplingPercentage", t.randomSampling());
    m.put("clientSamplingPercentage", t.clientSampling());
    m.put("overallSamplingPercentage", t.overallSampling());
    m.put("rules", t.sources());
    return m;
  }

  private AdminResponse explain(AdminRequest r) {
    JsonNode body = object(r);
    if (body == null || !body.path("headers").isTextual()) {
      return problems(List.of("headers: expected a JSON object {\"headers\": \"Name: value\\n"
          + "...\"} with the request headers as text"));
    }
    List<String> args = new ArrayList<>(List.of("explain"));
    List<String> problems = new ArrayList<>();
    String formats = body.path("formats").asText("");
    if (!formats.isEmpty()) {
      for (String f : formats.split(",", -1)) {
        if (!EXPLAIN_FORMATS.contains(f)) {
          problems.add("formats=" + formats + ": expected a comma-separated list of w3c,"
              + " b3multi, b3single");
          break;
        }
      }
      args.add("--formats=" + formats);
    }
    String sampling = body.path("sampling").asText("");
    if (!sampling.isEmpty()) {
      if (!EDGE_SAMPLING.contains(sampling)) {
        problems.add("sampling=" + sampling + ": expected one of trust, defer, deny-forced");
      }
      args.add("--sampling=" + sampling);
    }
    if (!problems.isEmpty()) {
      return problems(problems);
    }
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = ExplainCommand.run(args.toArray(new String[0]),
        new ByteArrayInputStream(body.get("headers").asText().getBytes(StandardCharsets.UTF_8)),
        new PrintStream(text, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    if (exit != 0) {
      return problems(List.of(err.toString(StandardCharsets.UTF_8).trim()));
    }
    return json(200, ExplainText.read(text.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8)));
  }

  private AdminResponse traceBreaks(AdminRequest r) {
    JsonNode body = object(r);
    List<String> problems = new ArrayList<>();
    String zipkin = body == null ? "" : body.path("zipkin").asText("").trim();
    String traceId = body == null ? "" : body.path("traceId").asText("").trim();
    URI base = null;
    try {
      base = URI.create(zipkin);
    } catch (IllegalArgumentException e) {
      // reported below
    }
    if (base == null || base.getHost() == null || base.getScheme() == null
        || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
      problems.add("zipkin=" + shorten(zipkin) + ": expected the http or https base URL of"
          + " Zipkin's API, e.g. http://zipkin.istio-system:9411");
    }
    if (!ZipkinTraceSource.isTraceId(traceId)) {
      problems.add("traceId=" + shorten(traceId) + ": expected 16 or 32 hex characters");
    }
    if (!problems.isEmpty()) {
      return problems(problems);
    }
    try {
      return json(200, TraceWaterfall.load(base, traceId));
    } catch (IOException e) {
      return json(502, Map.of("error", "cannot read traces from " + shorten(zipkin)
          + ": " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return json(503, Map.of("error", "interrupted while reading traces"));
    }
  }

  private static JsonNode object(AdminRequest r) {
    try {
      JsonNode n = JSON.readTree(r.body());
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  private AdminResponse problems(List<String> problems) {
    return json(400, Map.of("errors", problems));
  }

  private static String shorten(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  private AdminResponse json(int status, Object body) {
    return answers.of(status, body);
  }
}
