package io.meshtrace.sdk.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meshtrace.sdk.ExportProtocol;
import io.meshtrace.sdk.MeshSettings;
import io.meshtrace.sdk.MeshTelemetry;
import io.meshtrace.sdk.forward.ForwardedHeaders;
import io.meshtrace.sdk.forward.HeaderForwarding;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A service inside the mesh, as its traces look: the inbound sidecar's SERVER span (child of
 * the incoming context), the application behind it, which does not trace and either forwards
 * the trace headers with {@link HeaderForwarding} on its call to the next service or drops
 * them, and the outbound sidecar's CLIENT span (child of what the application sent, a new root
 * when it sent nothing), as Istio's sidecars report them. On 127.0.0.1:0.
 */
final class MeshServiceStandIn implements AutoCloseable {

  /** What the application does with the trace headers on its outgoing call. */
  enum Headers { FORWARD, DROP, REQUEST_ID_ONLY }

  private final HttpServer server;
  private final OpenTelemetrySdk sdk;
  private final TextMapPropagator propagator;
  private final URI next;
  private final Headers mode;
  private final HeaderForwarding forwarding = HeaderForwarding.create();
  private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier.get(key.toLowerCase(Locale.ROOT));
    }
  };

  private final String peer;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Headers of every request received, names lower-case. */
  final List<Map<String, String>> received = new CopyOnWriteArrayList<>();

  /**
   * @param next the service this one calls for each request, or null for a leaf
   */
  MeshServiceStandIn(String service, String zipkinBaseUrl, URI next, Headers mode) throws IOException {
    this(service, zipkinBaseUrl, next, null, mode);
  }

  /**
   * @param nextService the name of the service at {@code next}, for the outbound span
   */
  MeshServiceStandIn(String service, String zipkinBaseUrl, URI next, String nextService, Headers mode)
      throws IOException {
    this.peer = nextService == null ? "upstream" : nextService;
    this.sdk = MeshTelemetry.create(MeshSettings.of(service)
        .withPropagation(io.meshtrace.sdk.MeshOptions.DEFAULT_PROPAGATION)
        .withExporter(MeshSettings.Exporter.of(ExportProtocol.ZIPKIN_JSON, zipkinBaseUrl + "/api/v2/spans")
            .withBatchDelay(Duration.ofMillis(100))));
    this.propagator = sdk.getPropagators().getTextMapPropagator();
    this.next = next;
    this.mode = mode;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
    server.createContext("/", this::handle);
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
      received.add(headers);

      // The sidecar: continue the incoming trace with its own span.
      Context incoming = propagator.extract(Context.root(), exchange.getRequestHeaders(), MeshTelemetry.headerGetter());
      Span sidecar = sdk.getTracer("sidecar").spanBuilder(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath())
          .setParent(incoming)
          .setSpanKind(SpanKind.SERVER)
          .setAttribute("client.address", exchange.getRemoteAddress().getAddress().getHostAddress())
          .startSpan();
      String requestId = exchange.getRequestHeaders().getFirst("x-request-id");
      if (requestId != null) {
        sidecar.setAttribute("guid:x-request-id", requestId);
      }
      int status = 200;
      try {
        if (next != null) {
          // The request as the inbound sidecar hands it to the application: its span as parent.
          Map<String, List<String>> appHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
          exchange.getRequestHeaders().forEach((k, v) -> appHeaders.put(k, new ArrayList<>(v)));
          propagator.inject(incoming.with(sidecar), appHeaders, (carrier, k, v) -> carrier.put(k, List.of(v)));

          // The application's outgoing call: with the trace headers forwarded, or none.
          HttpRequest.Builder call = HttpRequest.newBuilder(next.resolve(exchange.getRequestURI().getPath()))
              .timeout(Duration.ofSeconds(5));
          Map<String, String> forwarded = Map.of();
          if (mode == Headers.FORWARD) {
            ForwardedHeaders headersOut = forwarding.from(appHeaders);
            headersOut.applyTo(call);
            forwarded = headersOut.asMap();
          } else if (mode == Headers.REQUEST_ID_ONLY && requestId != null) {
            call.setHeader("x-request-id", requestId);
            forwarded = Map.of("x-request-id", requestId);
          }

          // The outbound sidecar: a CLIENT span continuing what the application sent (a new
          // root when it sent nothing), its context written over the trace headers.
          Context outbound = propagator.extract(Context.root(), forwarded, MAP_GETTER);
          Span outboundSpan = sdk.getTracer("sidecar").spanBuilder(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath())
              .setParent(outbound)
              .setSpanKind(SpanKind.CLIENT)
              .setAttribute("peer.service", peer)
              .startSpan();
          if (forwarded.containsKey("x-request-id")) {
            outboundSpan.setAttribute("guid:x-request-id", forwarded.get("x-request-id"));
          }
          try {
            propagator.inject(outbound.with(outboundSpan), call, (builder, k, v) -> builder.setHeader(k, v));
            status = client.send(call.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
          } finally {
            outboundSpan.end();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        status = 500;
      } catch (IOException e) {
        status = 502;
      } finally {
        sidecar.end();
      }
      byte[] body = ("status " + status + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  void flush() {
    sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    server.stop(0);
    sdk.close();
  }
}
