package io.meshtrace.sdk.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meshtrace.context.config.TraceHeaderNames;
import io.meshtrace.sdk.MeshTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An application outside the mesh calling into it through the gateway: for each request it
 * starts a root span, injects the mesh's trace headers (B3 by default) and an
 * {@code x-request-id}, forwards the request to the gateway, and reports the span to Zipkin
 * or OTLP. It answers {@code OK} when the gateway answers 2xx, and {@code 502} with the
 * reason otherwise.
 *
 * <pre>
 * java -jar sdk-bridge/target/external-proxy.jar --port 8080 \
 *     --gateway http://127.0.0.1:8081 --endpoint http://127.0.0.1:9411/api/v2/spans
 * curl -i http://127.0.0.1:8080/productpage
 * HTTP/1.1 200 OK
 * x-meshtrace-trace-id: 5af7183fb1d4cf5f5af7183fb1d4cf5f
 * OK
 * </pre>
 *
 * <p>{@code java -jar external-proxy.jar check-propagation ...} runs
 * {@link io.meshtrace.sdk.check.PropagationCheck}.
 */
public final class ExternalProxy implements AutoCloseable {

  /** Response header naming the trace the request started. */
  public static final String TRACE_ID_HEADER = "x-meshtrace-trace-id";

  private static final Logger LOG = LoggerFactory.getLogger(ExternalProxy.class);

  /** Envoy's tag for the request id; the propagation check ties split traces with it. */
  static final AttributeKey<String> REQUEST_ID_TAG = AttributeKey.stringKey("guid:x-request-id");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> URL = AttributeKey.stringKey("url.full");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> PEER_SERVICE = AttributeKey.stringKey("peer.service");

  /** Not copied to the gateway: hop-by-hop, set by the HTTP client, or the trace context. */
  private static final Set<String> NOT_FORWARDED = notForwarded();

  private static Set<String> notForwarded() {
    Set<String> names = new java.util.HashSet<>(TraceHeaderNames.fields());
    names.addAll(List.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host",
        "content-length", "expect", "date", "from", "via", "warning"));
    return Set.copyOf(names);
  }

  private final ProxyConfig config;
  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final HttpClient client;
  private final HttpServer server;
  private final ExecutorService executor;

  private ExternalProxy(ProxyConfig config, OpenTelemetrySdk sdk, HttpServer server, ExecutorService executor) {
    this.config = config;
    this.sdk = sdk;
    this.tracer = sdk.getTracer("io.meshtrace.sdk.proxy");
    this.propagator = sdk.getPropagators().getTextMapPropagator();
    this.client = HttpClient.newBuilder()
        .connectTimeout(config.upstreamTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.server = server;
    this.executor = executor;
  }

  /** {@code java -jar external-proxy.jar}: see {@code --help}. */
  public static void main(String[] args) {
    int code = ProxyCommand.run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Starts a proxy from command-line flags over the system properties and environment
   * variables ({@code otel.*}, {@code meshtrace.*}, {@code OTEL_*}, {@code MESHTRACE_*}).
   *
   * @throws IllegalArgumentException on bad flags, naming the flag and the value
   */
  public static ExternalProxy start(String... args) throws IOException {
    return start(ProxyConfig.parse(args, environment()));
  }

  /** OpenTelemetry's settings from system properties and {@code OTEL_*} variables. */
  static DefaultConfigProperties environment() {
    return DefaultConfigProperties.create(
        Map.of(), ComponentLoader.forClassLoader(ExternalProxy.class.getClassLoader()));
  }

  static ExternalProxy start(ProxyConfig config) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(config.bind(), config.port()), 64);
    ExecutorService executor = Executors.newFixedThreadPool(16, runnable -> {
      Thread thread = new Thread(runnable, "external-proxy");
      thread.setDaemon(true);
      return thread;
    });
    OpenTelemetrySdk sdk = MeshTelemetry.create(config.mesh());
    ExternalProxy proxy = new ExternalProxy(config, sdk, server, executor);
    server.createContext("/", proxy::handle);
    server.setExecutor(executor);
    server.start();
    LOG.info("external-proxy listening on {}:{}, forwarding to {}, propagating {}, spans to {} {}",
        config.bind(), proxy.port(), config.gateway(), config.mesh().propagation(),
        config.mesh().exporter().protocol().configName(), config.mesh().exporter().endpoint());
    return proxy;
  }

  /** The port the proxy listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Finishes and exports the spans of completed requests. */
  public void flush() {
    sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      URI incoming = exchange.getRequestURI();
      URI target = target(incoming);
      String requestId = exchange.getRequestHeaders().getFirst("x-request-id");
      if (!MeshTelemetry.isValidRequestId(requestId)) {
        requestId = UUID.randomUUID().toString();
      }
      Span span = tracer.spanBuilder(method + " " + (incoming.getRawPath() == null ? "/" : incoming.getRawPath()))
          .setNoParent()
          .setSpanKind(SpanKind.CLIENT)
          .setAttribute(METHOD, method)
          .setAttribute(URL, target.toString())
          .setAttribute(PEER_SERVICE, config.gateway().getHost())
          .setAttribute(REQUEST_ID_TAG, requestId)
          .startSpan();
      int status;
      String body;
      try (Scope ignored = span.makeCurrent()) {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(config.upstreamTimeout());
        copyHeaders(exchange.getRequestHeaders(), request);
        Context context = MeshTelemetry.withRequestId(Context.current(), requestId);
        propagator.inject(context, request, (builder, key, value) -> builder.setHeader(key, value));
        byte[] requestBody = readAll(exchange.getRequestBody());
        request.method(method, requestBody.length == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(requestBody));
        // The gateway's body is not relayed: the proxy answers OK or names the failure.
        HttpResponse<Void> response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
        span.setAttribute(STATUS, (long) response.statusCode());
        if (response.statusCode() / 100 == 2) {
          status = 200;
          body = "OK\n";
        } else {
          span.setStatus(StatusCode.ERROR, "gateway answered " + response.statusCode());
          status = 502;
          body = "upstream " + target + " answered " + response.statusCode() + "\n";
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        span.setStatus(StatusCode.ERROR, "interrupted");
        status = 502;
        body = "upstream " + target + " failed: interrupted\n";
      } catch (IOException | RuntimeException e) {
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
        status = 502;
        body = "upstream " + target + " failed: " + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "\n";
        if (LOG.isDebugEnabled()) {
          LOG.debug("request {} to {} failed", requestId, target, e);
        }
      } finally {
        span.end();
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
      exchange.getResponseHeaders().set(TRACE_ID_HEADER, span.getSpanContext().getTraceId());
      exchange.getResponseHeaders().set("x-request-id", requestId);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The gateway URL with the request's path appended under the gateway's own path. */
  URI target(URI incoming) {
    String base = config.gateway().toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    String path = incoming.getRawPath() == null || incoming.getRawPath().isEmpty() ? "/" : incoming.getRawPath();
    String query = incoming.getRawQuery() == null ? "" : "?" + incoming.getRawQuery();
    return URI.create(base + path + query);
  }

  private static void copyHeaders(Map<String, List<String>> headers, HttpRequest.Builder request) {
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (NOT_FORWARDED.contains(name)) {
        continue;
      }
      for (String value : header.getValue()) {
        try {
          request.header(name, value);
        } catch (IllegalArgumentException e) {
          // A name or value the HTTP client refuses: not worth failing the request for.
        }
      }
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  /** Stops listening, then flushes and shuts the SDK down. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
  }
}
