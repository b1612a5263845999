package io.meshtrace.sdk.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meshtrace.sdk.ExportProtocol;
import io.meshtrace.sdk.MeshSettings;
import io.meshtrace.sdk.MeshTelemetry;
import io.meshtrace.sdk.forward.HeaderForwarding;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
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
 * A service inside the mesh, as seen from outside: its sidecar's span (SERVER, child of the
 * incoming context, reported to Zipkin) and the application behind it, which does not trace
 * and either forwards the trace headers with {@link HeaderForwarding} to its own upstream or
 * drops them. On 127.0.0.1:0.
 */
final class MeshServiceStandIn implements AutoCloseable {

  enum Headers { FORWARD, DROP }

  private final HttpServer server;
  private final OpenTelemetrySdk sdk;
  private final TextMapPropagator propagator;
  private final URI next;
  private final Headers mode;
  private final HeaderForwarding forwarding = HeaderForwarding.create();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Headers of every request received, names lower-case. */
  final List<Map<String, String>> received = new CopyOnWriteArrayList<>();

  /**
   * @param next the service this one calls for each request, or null for a leaf
   */
  MeshServiceStandIn(String service, String zipkinBaseUrl, URI next, Headers mode) throws IOException {
    this.sdk = MeshTelemetry.create(MeshSettings.of(service)
        .withPropagation(MeshSettings.DEFAULT_PROPAGATION)
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
          .startSpan();
      int status = 200;
      try {
        if (next != null) {
          // The request as the sidecar hands it to the application: its own span as parent.
          Map<String, List<String>> appHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
          exchange.getRequestHeaders().forEach((k, v) -> appHeaders.put(k, new ArrayList<>(v)));
          propagator.inject(incoming.with(sidecar), appHeaders, (carrier, k, v) -> carrier.put(k, List.of(v)));

          HttpRequest.Builder call = HttpRequest.newBuilder(next.resolve(exchange.getRequestURI().getPath()))
              .timeout(Duration.ofSeconds(5));
          if (mode == Headers.FORWARD) {
            forwarding.from(appHeaders).applyTo(call);
          }
          status = client.send(call.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
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
