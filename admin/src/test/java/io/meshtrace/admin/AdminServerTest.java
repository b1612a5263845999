package io.meshtrace.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.cli.ListenerBindException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {

  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private AdminServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private AdminServer start(AdminServer.Builder builder) throws Exception {
    server = builder.address("127.0.0.1", 0).start();
    return server;
  }

  /** Sent with every request; servers without tokens ignore it on reads. */
  private static final String WRITE_TOKEN = "test-write-token";

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(5));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body));
    b.header("Authorization", "Bearer " + WRITE_TOKEN);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void builtInRoutes_exactPathsGetAndHeadOnly() throws Exception {
    AtomicBoolean ready = new AtomicBoolean(false);
    start(AdminServer.builder("test").readiness(ready::get));

    assertThat(send("GET", "/healthz", null).body()).isEqualTo("ok\n");
    assertThat(send("GET", "/readyz", null).statusCode()).isEqualTo(503);
    ready.set(true);
    assertThat(send("GET", "/readyz", null).statusCode()).isEqualTo(200);
    HttpResponse<String> head = send("HEAD", "/healthz", null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();

    for (String path : new String[] {"/healthz/x", "/healthzz", "/", "/metrics/"}) {
      assertThat(send("GET", path, null).statusCode()).as(path).isEqualTo(404);
    }
    for (String method : new String[] {"POST", "PUT", "DELETE"}) {
      HttpResponse<String> r = send(method, "/healthz", "x");
      assertThat(r.statusCode()).as(method).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }
  }

  @Test
  void metrics_exportJvmProcessAndBuildInfo_inTextOrOpenMetrics() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    ServiceMetrics.register(registry, "test-service");
    start(AdminServer.builder("test-service").registry(registry));

    HttpResponse<String> text = send("GET", "/metrics", null);
    assertThat(text.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
    assertThat(text.body())
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_threads_current ")
        .contains("process_cpu_seconds_total ")
        .contains("process_start_time_seconds ")
        .containsPattern("meshtrace_build_info\\{service=\"test-service\",version=\"[^\"]+\"} 1");

    HttpResponse<String> open = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
        .header("Accept", "application/openmetrics-text; version=1.0.0").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(open.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/openmetrics-text");
    assertThat(open.body()).endsWith("# EOF\n");
  }

  @Test
  void addedRoute_methodsBodyLimitAndRequestCounts() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    // Writes need a write token (without one, the admin server refuses them).
    start(AdminServer.builder("test").registry(registry).tokens(AdminTokens.of(null, WRITE_TOKEN))
        .route(Route.of("/echo", Set.of("GET", "PUT"), 16, r -> AdminResponse.text(200,
            r.method() + " " + new String(r.body(), StandardCharsets.UTF_8))))
        .route(Route.get("/boom", r -> {
          throw new IllegalStateException("secret detail");
        })));

    assertThat(send("PUT", "/echo", "hello").body()).isEqualTo("PUT hello");
    assertThat(send("GET", "/echo", null).body()).isEqualTo("GET ");
    HttpResponse<String> big = send("PUT", "/echo", "x".repeat(17));
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(big.body()).contains("larger than 16 bytes");
    HttpResponse<String> delete = send("DELETE", "/echo", null);
    assertThat(delete.statusCode()).isEqualTo(405);
    assertThat(delete.headers().firstValue("Allow")).hasValue("GET, HEAD, PUT");
    assertThat(send("POST", "/metrics", "{}").statusCode()).isEqualTo(405);
    HttpResponse<String> boom = send("GET", "/boom", null);
    assertThat(boom.statusCode()).isEqualTo(500);
    assertThat(boom.body()).doesNotContain("secret detail");

    String metrics = send("GET", "/metrics", null).body();
    assertThat(metrics)
        .contains("meshtrace_admin_requests_total{code=\"200\",path=\"/echo\"} 2.0")
        .contains("meshtrace_admin_requests_total{code=\"413\",path=\"/echo\"} 1.0")
        .contains("meshtrace_admin_requests_total{code=\"500\",path=\"/boom\"} 1.0");
  }

  @Test
  void prefixRoute_takesPathsBelowIt_exactRoutesFirst() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    start(AdminServer.builder("test").registry(registry)
        .route(Route.get("/items", r -> AdminResponse.text(200, "list")))
        .route(Route.get("/items/*", r -> AdminResponse.text(200, "one " + r.path())))
        .route(Route.get("/items/a/*", r -> AdminResponse.text(200, "a " + r.path()))));

    assertThat(send("GET", "/items", null).body()).isEqualTo("list");
    assertThat(send("GET", "/items/x/config", null).body()).isEqualTo("one /items/x/config");
    assertThat(send("GET", "/items/a/b", null).body()).isEqualTo("a /items/a/b");
    assertThat(send("GET", "/items/", null).statusCode()).isEqualTo(404);
    assertThat(send("GET", "/itemsx", null).statusCode()).isEqualTo(404);
    assertThat(send("PUT", "/items/x", "").statusCode()).isEqualTo(405);
    assertThat(send("GET", "/metrics", null).body())
        .contains("meshtrace_admin_requests_total{code=\"200\",path=\"/items/*\"} 1.0");
  }

  @Test
  void start_portTaken_namesServiceAndListener() throws Exception {
    start(AdminServer.builder("first"));
    assertThatThrownBy(() -> AdminServer.builder("xds-server").listener("admin")
        .address("127.0.0.1", server.port()).start())
        .isInstanceOf(ListenerBindException.class)
        .hasMessageStartingWith("xds-server cannot listen on 127.0.0.1:" + server.port()
            + " for its admin listener")
        .satisfies(e -> assertThat(((ListenerBindException) e).listener()).isEqualTo("admin"));
  }

  @Test
  void bearerToken_constantTimeMatch_neverPrinted() {
    BearerToken token = BearerToken.of(" s3cret \n");
    assertThat(token.matches("Bearer s3cret")).isTrue();
    assertThat(token.matches("bearer s3cret")).isTrue();
    assertThat(token.matches("Bearer s3cre")).isFalse();
    assertThat(token.matches("Basic s3cret")).isFalse();
    assertThat(token.matches(null)).isFalse();
    assertThat(token.toString()).doesNotContain("s3cret");
    assertThat(BearerToken.of("  ")).isNull();
    assertThat(BearerToken.of(null)).isNull();
  }
}
