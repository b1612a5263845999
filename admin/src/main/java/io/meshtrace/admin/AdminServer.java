package io.meshtrace.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.meshtrace.cli.ListenerBindException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener of a meshtrace service (the JDK's HTTP server, or HTTPS with
 * {@link AdminTls}).
 *
 * <pre>
 * GET /healthz   200 "ok" while the process runs
 * GET /readyz    200 "ready" when the service says so, else 503 "not ready"
 * GET /metrics   the service's Prometheus registry (text format 0.0.4, or OpenMetrics when the
 *                scraper asks for it)
 * ...            the routes the service adds ({@link Route})
 * </pre>
 *
 * Every route but {@code /healthz}, {@code /readyz} and {@code /metrics} asks for a bearer
 * token when tokens are configured ({@link Builder#tokens}, {@link AdminTokens}): 401 without
 * the right one, 403 for the read token on a write; without tokens reads are open and writes
 * get 403. A route may ask otherwise ({@link Route.Access}): none for the console's static
 * assets, a read token for a POST that changes nothing.
 *
 * <p>Paths match exactly, except that a route ending in {@code /*} takes every longer path
 * under it that no exact route takes ({@link Route}). Every route answers {@code GET} and
 * {@code HEAD} unless it says
 * otherwise; another method gets 405 with an {@code Allow} header, an unknown path 404, a body
 * over the route's limit 413 (routes without a body limit take none).
 *
 * <p>Slow clients cannot starve the health checks: requests are served by a bounded pool of
 * threads ({@code threads}, 16 by default), and a request must arrive whole (line, headers and
 * body) within {@code requestTimeout} and its answer be taken within {@code responseTimeout}
 * (10 s each by default), or its connection is closed and counted in
 * {@code meshtrace_admin_requests_timed_out_total}. Up to {@code threads - 1} clients trickling
 * bytes leave {@code /healthz} answering at once. The JDK bounds the request head itself (200
 * header lines, 380 KiB; {@code sun.net.httpserver.maxReqHeaders},
 * {@code sun.net.httpserver.maxReqHeaderSize}).
 *
 * <pre>{@code
 * AdminServer admin = AdminServer.builder("ext-proc")
 *     .address("127.0.0.1", 9902)
 *     .registry(registry)
 *     .readiness(server::isReady)
 *     .start();
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final int BACKLOG = 64;
  private static final String UNMATCHED = "unmatched";
  /** Routes that never ask for a token: probes and scrapers carry none. */
  private static final Set<String> OPEN = Set.of("/healthz", "/readyz",
      "/metrics");

  private final HttpServer http;
  private final DeadlineExecutor executor;
  private final Map<String, Route> routes;
  private final PrometheusRegistry registry;
  private final Counter requests;
  private final Counter timedOut;
  private final String service;
  private final boolean tls;
  private final AdminTokens tokens;

  private AdminServer(Builder b, HttpServer http) {
    this.http = http;
    this.service = b.service;
    this.registry = b.registry;
    this.tls = b.tls != null;
    this.tokens = b.tokens;
    this.requests = Counter.builder()
        .name("meshtrace_admin_requests_total")
        .help("Admin API requests by route and status code")
        .labelNames("path", "code")
        .register(registry);
    this.timedOut = Counter.builder()
        .name("meshtrace_admin_requests_timed_out_total")
        .help("Admin API connections closed because a request or an answer took longer than the"
            + " deadline")
        .register(registry);
    this.executor = new DeadlineExecutor(b.service + "-admin", b.threads, b.requestTimeout,
        b.responseTimeout, timedOut::inc);
    Map<String, Route> all = new LinkedHashMap<>();
    BooleanSupplier ready = b.readiness;
    ExpositionFormats formats = ExpositionFormats.init();
    all.put("/healthz", Route.get("/healthz", r -> AdminResponse.text(200, "ok\n")));
    all.put("/readyz", Route.get("/readyz", r -> ready.getAsBoolean()
        ? AdminResponse.text(200, "ready\n") : AdminResponse.text(503, "not ready\n")));
    all.put("/metrics", Route.get("/metrics", r -> metrics(formats, r)));
    for (Route route : b.routes) {
      if (all.putIfAbsent(route.path(), route) != null) {
        throw new IllegalArgumentException("two routes for " + route.path());
      }
    }
    this.routes = Map.copyOf(all);
  }

  /** A builder for the admin listener of {@code service} (e.g. {@code xds-server}). */
  public static Builder builder(String service) {
    return new Builder(service);
  }

  /** The bound address (the actual port when started on port 0). */
  public InetSocketAddress address() {
    return http.getAddress();
  }

  /** The bound port. */
  public int port() {
    return http.getAddress().getPort();
  }

  /** {@code https} or {@code http}. */
  public String scheme() {
    return tls ? "https" : "http";
  }

  /** Stops listening at once and frees the threads. */
  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    registry.unregister(requests);
    registry.unregister(timedOut);
  }

  private AdminResponse metrics(ExpositionFormats formats, AdminRequest request)
      throws IOException {
    ExpositionFormatWriter writer = formats.findWriter(request.header("Accept"));
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 << 10);
    writer.write(out, registry.scrape());
    return AdminResponse.of(200, writer.getContentType(), out.toByteArray());
  }

  private void handle(HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    URI uri = exchange.getRequestURI();
    String path = uri.getPath() == null ? "" : uri.getPath();
    Route route = find(path);
    try (exchange) {
      AdminResponse response;
      if (route == null) {
        response = AdminResponse.text(404, "not found; paths: "
            + String.join(", ", routes.keySet()) + "\n");
      } else if (!route.methods().contains(method)) {
        response = AdminResponse.text(405, method(method) + " not allowed on " + route.path()
            + "; use " + route.allow() + "\n").withHeader("Allow", route.allow());
      } else {
        response = OPEN.contains(path) || route.access() == Route.Access.OPEN ? null
            : tokens.check(route.access() == Route.Access.READ ? "GET" : method,
                exchange.getRequestHeaders().getFirst("Authorization"));
        if (response == null) {
          response = body(exchange, route);
        }
        if (response == null) {
          byte[] body = route.maxBodyBytes() == 0 ? new byte[0]
              : readBody(exchange.getRequestBody(), route.maxBodyBytes());
          if (body == null) {
            response = tooLarge(route);
          } else {
            DeadlineExecutor.requestRead();
            response = run(route, new AdminRequest(method, path, uri.getRawQuery(),
                exchange.getRequestHeaders(), body, exchange.getRemoteAddress()));
          }
        }
      }
      if (response.status() == 413 || response.status() == 401 || response.status() == 403) {
        // Refused before the body was read (or read only in part).
        drainBody(exchange);
      }
      requests.labelValues(route == null ? UNMATCHED : route.path(),
          Integer.toString(response.status())).inc();
      executor.writing();
      send(exchange, method, response);
    } catch (IOException e) {
      // The client went away, or its deadline closed the connection.
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} admin: {} {} ended: {}", service, method(method), bounded(path), e.toString());
      }
    }
  }

  /** 413 before reading when the declared length is over the limit, else null. */
  /** The route of exactly this path, else the longest {@code /prefix/*} route it is under. */
  private Route find(String path) {
    Route route = routes.get(path);
    if (route != null) {
      return route;
    }
    for (Route r : routes.values()) {
      if (r.under(path) && (route == null || r.path().length() > route.path().length())) {
        route = r;
      }
    }
    return route;
  }

  private static AdminResponse body(HttpExchange exchange, Route route) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    boolean chunked = exchange.getRequestHeaders().getFirst("Transfer-Encoding") != null;
    if (route.maxBodyBytes() == 0) {
      return chunked || (length != null && !length.trim().equals("0"))
          ? AdminResponse.text(413, route.path() + " takes no request body\n") : null;
    }
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        return AdminResponse.text(400, "Content-Length must be a number\n");
      }
      if (declared > route.maxBodyBytes()) {
        return tooLarge(route);
      }
    }
    return null;
  }

  private static AdminResponse tooLarge(Route route) {
    return AdminResponse.text(413, "request body larger than " + route.maxBodyBytes()
        + " bytes, the limit of " + route.path() + "\n");
  }

  /** Largest refused body read and discarded so that the client sees its 413. */
  static final long MAX_DRAIN_BYTES = 16L << 20;

  /**
   * Reads and discards a refused body of a declared length up to {@link #MAX_DRAIN_BYTES}:
   * closing a connection with unread bytes makes TCP reset it, and the client then loses the
   * 413 it was sent. Longer or undeclared bodies are not read; the request deadline bounds the
   * time either way.
   */
  private static void drainBody(HttpExchange exchange) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    long declared;
    try {
      declared = length == null ? -1 : Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return;
    }
    if (declared <= 0 || declared > MAX_DRAIN_BYTES) {
      return;
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] sink = new byte[8192];
      while (in.read(sink) >= 0) {
        // discarded
      }
    } catch (IOException e) {
      // the client went away; nothing to answer
    }
  }

  /** The body, or null when it is longer than {@code max}. */
  private static byte[] readBody(InputStream in, int max) throws IOException {
    byte[] body = in.readNBytes(max + 1);
    return body.length > max ? null : body;
  }

  private AdminResponse run(Route route, AdminRequest request) {
    try {
      return route.handler().handle(request);
    } catch (IOException | RuntimeException e) {
      LOG.error("{} admin: {} {} failed", service, request.method(), route.path(), e);
      return AdminResponse.text(500, "internal error; see the " + service + " log\n");
    }
  }

  private static void send(HttpExchange exchange, String method, AdminResponse response)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", response.contentType());
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    for (Map.Entry<String, String> h : response.headers().entrySet()) {
      exchange.getResponseHeaders().set(h.getKey(), h.getValue());
    }
    byte[] body = response.bodyBytes();
    boolean head = method.equals("HEAD");
    exchange.sendResponseHeaders(response.status(), head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** A method name fit to print: HTTP tokens only, bounded. */
  private static String method(String method) {
    return bounded(method.chars().allMatch(c -> c > ' ' && c < 0x7f) ? method : "(invalid)");
  }

  private static String bounded(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  /** Settings of an {@link AdminServer}; {@link #start} binds the port. */
  public static final class Builder {

    private final String service;
    private String host = "127.0.0.1";
    private int port;
    private String listener = "admin";
    private AdminTls tls;
    private BooleanSupplier readiness = () -> true;
    private PrometheusRegistry registry;
    private final List<Route> routes = new ArrayList<>();
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration responseTimeout = Duration.ofSeconds(10);
    private int threads = 16;
    private AdminTokens tokens = AdminTokens.NONE;

    private Builder(String service) {
      this.service = service;
    }

    /** Where to listen; port 0 picks a free one. Default 127.0.0.1, port 0. */
    public Builder address(String host, int port) {
      this.host = host;
      this.port = port;
      return this;
    }

    /** Where to listen. */
    public Builder address(InetSocketAddress address) {
      return address(address.getHostString(), address.getPort());
    }

    /** The listener's name in a {@link ListenerBindException}; default {@code admin}. */
    public Builder listener(String name) {
      this.listener = name;
      return this;
    }

    /** HTTPS with these settings; null (the default) for plain HTTP. */
    public Builder tls(AdminTls tls) {
      this.tls = tls;
      return this;
    }

    /** What {@code /readyz} reports; default always ready. */
    public Builder readiness(BooleanSupplier ready) {
      this.readiness = ready;
      return this;
    }

    /** The registry {@code /metrics} exports (and the admin server counts its requests in). */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** Adds a route; its path must not be one of the built-in ones. */
    public Builder route(Route route) {
      routes.add(route);
      return this;
    }

    /**
     * Who may use the routes other than {@code /healthz}, {@code /readyz} and {@code /metrics}
     * ({@link AdminTokens}); default {@link AdminTokens#NONE}: reads open, writes refused.
     */
    public Builder tokens(AdminTokens tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    /** How long a request (line, headers, body) may take to arrive; default 10 s. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive("requestTimeout", timeout);
      return this;
    }

    /** How long the client may take to receive an answer; default 10 s. */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = positive("responseTimeout", timeout);
      return this;
    }

    /** Requests served at once; default 16. */
    public Builder threads(int threads) {
      if (threads < 2) {
        throw new IllegalArgumentException("threads must be at least 2: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Binds and starts serving.
     *
     * @throws ListenerBindException when the address cannot be bound (port taken)
     */
    public AdminServer start() throws IOException {
      if (registry == null) {
        registry = new PrometheusRegistry();
      }
      InetSocketAddress address = new InetSocketAddress(host, port);
      HttpServer http;
      try {
        if (tls == null) {
          http = HttpServer.create(address, BACKLOG);
        } else {
          HttpsServer https = HttpsServer.create(address, BACKLOG);
          AdminTls settings = tls;
          https.setHttpsConfigurator(new HttpsConfigurator(settings.context()) {
            @Override
            public void configure(HttpsParameters params) {
              params.setSSLParameters(settings.parameters());
            }
          });
          http = https;
        }
      } catch (IOException e) {
        throw ListenerBindException.of(service, listener, host, port, e);
      }
      AdminServer server = new AdminServer(this, http);
      http.setExecutor(server.executor);
      http.createContext("/", server::handle);
      http.start();
      LOG.info("{} admin API on {}://{}:{}", service, server.scheme(), host, server.port());
      return server;
    }

    private static Duration positive(String name, Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
