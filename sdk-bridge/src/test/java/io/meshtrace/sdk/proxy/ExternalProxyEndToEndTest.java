package io.meshtrace.sdk.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshtrace.check.ZipkinServerExtension;
import io.meshtrace.sdk.check.PropagationCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ExternalProxy in front of stand-in mesh services, all reporting to a real Zipkin server; then
 * the propagation check reads the traces back from it.
 */
class ExternalProxyEndToEndTest {

  @RegisterExtension static final ZipkinServerExtension ZIPKIN = new ZipkinServerExtension();

  private final HttpClient client = HttpClient.newHttpClient();

  @Test
  void proxy_upstreamForwardsHeaders_oneTraceParentChildLinked_checkFindsNoBreak() throws Exception {
    try (MeshServiceStandIn reviews = new MeshServiceStandIn("reviews", ZIPKIN.baseUrl(), null, MeshServiceStandIn.Headers.FORWARD);
        MeshServiceStandIn productpage = new MeshServiceStandIn("productpage", ZIPKIN.baseUrl(), reviews.uri(), "reviews", MeshServiceStandIn.Headers.FORWARD);
        ExternalProxy proxy = startProxy("edge-client", productpage.uri())) {

      HttpResponse<String> response = send(proxy, "/productpage");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("OK\n");
      String traceId = response.headers().firstValue(ExternalProxy.TRACE_ID_HEADER).orElseThrow();
      String requestId = response.headers().firstValue("x-request-id").orElseThrow();

      // What the proxy put on the wire: B3 multi-header and x-request-id, nothing else.
      Map<String, String> atProductpage = productpage.received.get(0);
      assertThat(atProductpage).containsEntry("x-b3-traceid", traceId).containsEntry("x-b3-sampled", "1")
          .containsEntry("x-request-id", requestId).containsKey("x-b3-spanid")
          .doesNotContainKeys("traceparent", "b3");
      // What productpage's application forwarded: the same trace, x-request-id untouched.
      Map<String, String> atReviews = reviews.received.get(0);
      assertThat(atReviews).containsEntry("x-b3-traceid", traceId).containsEntry("x-request-id", requestId);

      proxy.flush();
      productpage.flush();
      reviews.flush();
      // edge-client CLIENT -> productpage SERVER (inbound sidecar) -> productpage CLIENT
      // (outbound sidecar, child of what the application forwarded) -> reviews SERVER.
      JsonNode spans = ZIPKIN.awaitTrace(traceId, 4);
      Map<String, JsonNode> byServiceAndKind = new HashMap<>();
      for (JsonNode span : spans) {
        byServiceAndKind.put(span.path("localEndpoint").path("serviceName").asText() + " " + span.path("kind").asText(), span);
      }
      assertThat(byServiceAndKind).containsOnlyKeys(
          "edge-client CLIENT", "productpage SERVER", "productpage CLIENT", "reviews SERVER");
      JsonNode edge = byServiceAndKind.get("edge-client CLIENT");
      JsonNode pageIn = byServiceAndKind.get("productpage SERVER");
      JsonNode pageOut = byServiceAndKind.get("productpage CLIENT");
      JsonNode rev = byServiceAndKind.get("reviews SERVER");
      assertThat(edge.has("parentId")).isFalse();
      assertThat(edge.path("tags").path("guid:x-request-id").asText()).isEqualTo(requestId);
      assertThat(pageIn.get("parentId").asText()).isEqualTo(edge.get("id").asText());
      assertThat(pageOut.get("parentId").asText()).isEqualTo(pageIn.get("id").asText());
      assertThat(rev.get("parentId").asText()).isEqualTo(pageOut.get("id").asText());

      CheckRun check = check("productpage");
      assertThat(check.output).contains("OK: no broken hops found");
      assertThat(check.exit).isZero();
    }
  }

  @Test
  void proxy_upstreamDropsHeaders_traceSplits_checkReportsTheHop() throws Exception {
    try (MeshServiceStandIn inventory = new MeshServiceStandIn("inventory", ZIPKIN.baseUrl(), null, MeshServiceStandIn.Headers.FORWARD);
        MeshServiceStandIn catalog = new MeshServiceStandIn("catalog", ZIPKIN.baseUrl(), inventory.uri(), "inventory", MeshServiceStandIn.Headers.DROP);
        ExternalProxy proxy = startProxy("edge-shop", catalog.uri())) {

      HttpResponse<String> response = send(proxy, "/catalog");
      assertThat(response.statusCode()).isEqualTo(200);
      String traceId = response.headers().firstValue(ExternalProxy.TRACE_ID_HEADER).orElseThrow();
      // catalog's outbound sidecar started a new trace: other ids, no x-request-id.
      assertThat(inventory.received.get(0)).doesNotContainKey("x-request-id")
          .containsKey("x-b3-traceid").doesNotContainEntry("x-b3-traceid", traceId);

      proxy.flush();
      catalog.flush();
      inventory.flush();
      JsonNode spans = ZIPKIN.awaitTrace(traceId, 2);
      assertThat(spans.findValuesAsText("kind")).containsExactlyInAnyOrder("CLIENT", "SERVER");
      assertThat(spans.findValuesAsText("serviceName")).contains("edge-shop", "catalog").doesNotContain("inventory");
      awaitService("inventory");

      CheckRun check = check("catalog");
      assertThat(check.exit).as(check.output).isEqualTo(1);
      assertThat(check.output).contains(
          "BREAK catalog -> inventory: spans from catalog arrive as new roots: catalog drops the trace headers");
      assertThat(check.output).containsPattern(
          "  catalog span 'get /catalog' \\(trace [0-9a-f]{32}, id [0-9a-f]{16}\\) began a new trace during "
              + "catalog span 'get /catalog' \\(trace " + traceId + ", id [0-9a-f]{16}\\)");
    }
  }

  @Test
  void proxy_upstreamForwardsOnlyRequestId_checkReportsBreakAndSplitTiedByRequestId() throws Exception {
    try (MeshServiceStandIn stock = new MeshServiceStandIn("stock", ZIPKIN.baseUrl(), null, MeshServiceStandIn.Headers.FORWARD);
        MeshServiceStandIn cart = new MeshServiceStandIn("cart", ZIPKIN.baseUrl(), stock.uri(), "stock", MeshServiceStandIn.Headers.REQUEST_ID_ONLY);
        ExternalProxy proxy = startProxy("edge-cart", cart.uri())) {
      HttpResponse<String> response = send(proxy, "/cart");
      assertThat(response.statusCode()).isEqualTo(200);
      String traceId = response.headers().firstValue(ExternalProxy.TRACE_ID_HEADER).orElseThrow();
      String requestId = response.headers().firstValue("x-request-id").orElseThrow();
      assertThat(stock.received.get(0)).containsEntry("x-request-id", requestId)
          .doesNotContainEntry("x-b3-traceid", traceId);

      proxy.flush();
      cart.flush();
      stock.flush();
      ZIPKIN.awaitTrace(traceId, 2);
      awaitService("stock");

      CheckRun check = check("cart");
      assertThat(check.exit).as(check.output).isEqualTo(1);
      assertThat(check.output).contains(
          "BREAK cart -> stock: spans from cart arrive as new roots: cart drops the trace headers (1 span)");
      assertThat(check.output).containsPattern(
          "SPLIT x-request-id " + requestId + " is in 2 traces: (" + traceId + ", [0-9a-f]{32}|[0-9a-f]{32}, " + traceId + ")");
    }
  }

  @Test
  void proxy_notReportingItsSpans_checkReportsMissingParentAndTheHop() throws Exception {
    try (MeshServiceStandIn orders = new MeshServiceStandIn("orders", ZIPKIN.baseUrl(), null, MeshServiceStandIn.Headers.FORWARD);
        ExternalProxy proxy = ExternalProxy.start("--port", "0", "--bind", "127.0.0.1",
            "--gateway", orders.uri().toString(), "--service", "edge-silent", "--exporter", "none")) {
      HttpResponse<String> response = send(proxy, "/orders");
      assertThat(response.statusCode()).isEqualTo(200);
      String traceId = response.headers().firstValue(ExternalProxy.TRACE_ID_HEADER).orElseThrow();
      orders.flush();
      JsonNode span = ZIPKIN.awaitTrace(traceId, 1).get(0);

      CheckRun check = check("orders");
      assertThat(check.exit).as(check.output).isEqualTo(1);
      assertThat(check.output).contains("MISSING-PARENT 127.0.0.1 -> orders: spans of orders name a parent span"
          + " that is not in their trace: 127.0.0.1 forwards trace ids of a span it does not report");
      assertThat(check.output).contains("orders span 'get /orders' (trace " + traceId + ", id "
          + span.get("id").asText() + ") has parent " + span.get("parentId").asText() + ", missing from the trace");
    }
  }

  @Test
  void proxy_gatewayAnswers503_answers502NamingIt() throws Exception {
    try (io.meshtrace.sdk.CapturingHttpServer gateway = new io.meshtrace.sdk.CapturingHttpServer(503);
        ExternalProxy proxy = startProxy("edge-503", URI.create(gateway.url("/")))) {
      HttpResponse<String> response = send(proxy, "/reviews?id=1");
      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(response.body()).isEqualTo("upstream " + gateway.url("/reviews?id=1") + " answered 503\n");
      assertThat(gateway.take().header("x-b3-traceid"))
          .isEqualTo(response.headers().firstValue(ExternalProxy.TRACE_ID_HEADER).orElseThrow());
    }
  }

  @Test
  void proxy_clientRequestId_keptWhenValid_replacedWhenNot() throws Exception {
    try (io.meshtrace.sdk.CapturingHttpServer gateway = new io.meshtrace.sdk.CapturingHttpServer(200);
        ExternalProxy proxy = startProxy("edge-rid", URI.create(gateway.url("/")))) {
      HttpResponse<String> kept = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/a"))
          .header("x-request-id", "client-chosen-42").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(kept.statusCode()).isEqualTo(200);
      assertThat(gateway.take().header("x-request-id")).isEqualTo("client-chosen-42");

      HttpResponse<String> replaced = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/b"))
          .header("x-request-id", "has spaces in it").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(replaced.statusCode()).isEqualTo(200);
      assertThat(gateway.take().header("x-request-id"))
          .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    }
  }

  @Test
  void proxy_gatewayDown_answers502AndReportsErrorSpan() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      closedPort = socket.getLocalPort();
    }
    try (ExternalProxy proxy = startProxy("edge-down", URI.create("http://127.0.0.1:" + closedPort))) {
      HttpResponse<String> response = send(proxy, "/productpage");
      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(response.body()).startsWith("upstream http://127.0.0.1:" + closedPort + "/productpage failed: ConnectException");
      String traceId = response.headers().firstValue(ExternalProxy.TRACE_ID_HEADER).orElseThrow();
      proxy.flush();
      JsonNode span = ZIPKIN.awaitTrace(traceId, 1).get(0);
      assertThat(span.path("tags").path("error").asText()).isEqualTo("ConnectException");
    }
  }

  private static ExternalProxy startProxy(String service, URI gateway) throws Exception {
    return ExternalProxy.start("--port", "0", "--bind", "127.0.0.1", "--gateway", gateway.toString(),
        "--service", service, "--endpoint", ZIPKIN.baseUrl() + "/api/v2/spans",
        "--exporter-delay", "100ms", "--upstream-timeout", "5s");
  }

  private HttpResponse<String> send(ExternalProxy proxy, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path))
        .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void awaitService(String service) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      HttpResponse<String> traces = ZIPKIN.get("/api/v2/traces?serviceName=" + service + "&lookback=900000");
      if (traces.statusCode() == 200 && new ObjectMapper().readTree(traces.body()).size() > 0) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no trace of " + service + " in Zipkin");
  }

  record CheckRun(int exit, String output) {}

  private static CheckRun check(String service) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PropagationCheck.run(
        new String[] {"check-propagation", "--zipkin", ZIPKIN.baseUrl(), "--service", service, "--lookback", "15m"},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    CheckRun run = new CheckRun(exit, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
    System.out.println("check-propagation --service " + service + " -> exit " + exit + "\n" + run.output);
    return run;
  }
}
