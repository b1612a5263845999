package io.meshtrace.xds.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.live.ConfigStore;
import io.meshtrace.xds.live.WriteResult;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP API.
 *
 * <pre>
 * GET  /config/tracing   tracing keys of the config (JSON) and the versions per group
 * PUT  /config/tracing   replace tracing keys, e.g. {"tracing":[{"randomSamplingPercentage":5}]}
 *                        (needs "Authorization: Bearer TOKEN"; 400 with messages when invalid,
 *                        409 when the file was edited since it was applied, 413 over the limit)
 * GET  /proxies          connected nodes: group, versions sent and acked per type, last NACK
 * GET  /metrics          Prometheus text
 * GET  /healthz          200 while the process runs
 * GET  /readyz           200 once a config is served and the ADS port is open
 * </pre>
 */
public final class AdminServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer http;
  private final ExecutorService executor;
  private final ConfigStore store;
  private final ControlPlane plane;
  private final Metrics metrics;
  private final byte[] token;
  private final BooleanSupplier ready;

  private AdminServer(HttpServer http, ExecutorService executor, ConfigStore store,
      ControlPlane plane, Metrics metrics, String token, BooleanSupplier ready) {
    this.http = http;
    this.executor = executor;
    this.store = store;
    this.plane = plane;
    this.metrics = metrics;
    this.token = token == null || token.isEmpty() ? null
        : token.getBytes(StandardCharsets.UTF_8);
    this.ready = ready;
  }

  /**
   * Starts the API on {@code address:port} (port 0 picks a free one).
   *
   * @param token bearer token for writes; null or empty refuses every write
   */
  public static AdminServer start(String address, int port, ConfigStore store,
      ControlPlane plane, Metrics metrics, String token, BooleanSupplier ready)
      throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(address, port), 32);
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "admin-http");
      t.setDaemon(true);
      return t;
    });
    AdminServer a = new AdminServer(http, executor, store, plane, metrics, token, ready);
    http.setExecutor(executor);
    http.createContext("/", a::handle);
    http.start();
    metrics.describe("meshtrace_xds_admin_writes_total", "PUT /config/tracing by result");
    return a;
  }

  /** The bound port. */
  public int port() {
    return http.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      switch (path) {
        case "/healthz":
          send(ex, 200, "text/plain", "ok\n");
          break;
        case "/readyz":
          boolean ok = ready.getAsBoolean() && plane.config() != null;
          send(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
          break;
        case "/metrics":
          send(ex, 200, "text/plain; version=0.0.4", metrics.render());
          break;
        case "/proxies":
          json(ex, 200, plane.registry().proxies());
          break;
        case "/config/tracing":
          if (method.equals("GET")) {
            json(ex, 200, tracingView());
          } else if (method.equals("PUT")) {
            put(ex);
          } else {
            ex.getResponseHeaders().add("Allow", "GET, PUT");
            json(ex, 405, Map.of("error", "use GET or PUT"));
          }
          break;
        default:
          json(ex, 404, Map.of("error", "no such path: " + path,
              "paths", List.of("/config/tracing", "/proxies", "/metrics", "/healthz",
                  "/readyz")));
      }
    } catch (RuntimeException e) {
      LOG.error("admin request failed", e);
      json(ex, 500, Map.of("error", String.valueOf(e.getMessage())));
    } finally {
      ex.close();
    }
  }

  private void put(HttpExchange ex) throws IOException {
    if (!authorized(ex)) {
      metrics.increment("meshtrace_xds_admin_writes_total", Metrics.label("result", "denied"));
      ex.getResponseHeaders().add("WWW-Authenticate", "Bearer");
      json(ex, token == null ? 403 : 401, Map.of("error", token == null
          ? "writes are disabled: no admin token configured (server.admin.tokenFile or "
              + "MESHTRACE_ADMIN_TOKEN)"
          : "missing or wrong bearer token"));
      return;
    }
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(ConfigText.MAX_BYTES + 1);
    }
    WriteResult o;
    try {
      o = store.updateTracing(body);
    } catch (IOException e) {
      LOG.error("cannot write {}: {}", store.file(), e.toString());
      metrics.increment("meshtrace_xds_admin_writes_total", Metrics.label("result", "failed"));
      json(ex, 500, Map.of("error", "config file not written, nothing changed: " + e));
      return;
    }
    if (!o.isApplied()) {
      int status = switch (o.status()) {
        case CONFLICT -> 409;
        case TOO_LARGE -> 413;
        default -> 400;
      };
      metrics.increment("meshtrace_xds_admin_writes_total", Metrics.label("result",
          status == 409 ? "conflict" : "rejected"));
      json(ex, status, Map.of("errors", o.errors()));
      return;
    }
    metrics.increment("meshtrace_xds_admin_writes_total", Metrics.label("result", "applied"));
    json(ex, 200, tracingView());
  }

  private boolean authorized(HttpExchange ex) {
    if (token == null) {
      return false;
    }
    String h = ex.getRequestHeaders().getFirst("Authorization");
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, token);
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
    Map<String, Object> versions = new TreeMap<>();
    for (Map.Entry<String, MeshSnapshots.Result> e : plane.results().entrySet()) {
      versions.put(e.getKey(), new TreeMap<>(e.getValue().versions()));
    }
    out.put("versions", versions);
    out.put("lastRejected", store.lastErrors());
    return out;
  }

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json",
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
  }
}
