package io.meshtrace.xds.server;

import static io.meshtrace.xds.server.AdsTestClient.LDS;
import static io.meshtrace.xds.server.AdsTestClient.unpack;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannelBuilder;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.config.MeshConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets end to end: header values and a SkyWalking token from files and literals reach Envoy
 * over ADS as their values, while no admin answer and no log line shows one; a GET then PUT
 * round trip keeps them; a rotated file is served within a poll; a broken reference keeps the
 * last good config and names only the reference.
 */
class SecretsEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FILE_SECRET = "Bearer file-secret-0001";
  private static final String ROTATED = "Bearer file-secret-0002";
  private static final String LITERAL_KEY = "literal-key-123456";
  private static final String SW_TOKEN = "sw-token-from-file-77";

  private static final String PROVIDERS = """
      extensionProviders:
        - name: otel
          opentelemetry:
            service: otel.observability
            port: 4318
            http:
              path: /v1/traces
              headers:
                - {name: authorization, file: otlp-token}
                - {name: x-api-key, value: %s}
                - {name: x-tenant, value: books}
        - name: sw
          skywalking:
            service: 10.1.2.3
            port: 11800
            accessTokenFrom: {file: sw-token}
      """.formatted(LITERAL_KEY);

  @TempDir
  Path dir;

  @Test
  void secrets_servedToEnvoy_neverShownByAdminOrLogs_keptOnRoundTrip_rotated() throws Exception {
    Files.writeString(dir.resolve("otlp-token"), FILE_SECRET + "\n");
    Files.writeString(dir.resolve("sw-token"), SW_TOKEN);
    String yaml = TestMesh.yaml(PROVIDERS, TestMesh.TRACING, TestMesh.SERVICES);
    ByteArrayOutputStream logged = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
    try (TestServer s = TestServer.start(dir, yaml)) {
      // Envoy gets the values.
      try (AdsTestClient c = client(s)) {
        OpenTelemetryConfig otel = otel(c);
        assertThat(headers(otel)).containsEntry("authorization", FILE_SECRET)
            .containsEntry("x-api-key", LITERAL_KEY).containsEntry("x-tenant", "books");
      }
      try (AdsTestClient c = client(s)) {
        // A NACK quoting the config, as Envoy's validation errors do.
        c.request(LDS, List.of(), "", "", null);
        DiscoveryResponse r = c.next(LDS, 5000);
        c.nack(r, List.of(), "", "Proto constraint validation failed: value: \"" + FILE_SECRET
            + "\" key: \"" + LITERAL_KEY + "\" backend_token: \"" + SW_TOKEN + "\"");
        awaitBody(s, "/proxies", "lastNack");
        String proxies = s.get("/proxies").body();
        assertNoSecret(proxies);
        assertThat(proxies).contains("<redacted>");
      }

      // GET shows references as written and sensitive literals redacted.
      var get = s.get("/config/tracing");
      assertThat(get.statusCode()).isEqualTo(200);
      assertNoSecret(get.body());
      JsonNode config = JSON.readTree(get.body()).path("config");
      JsonNode headers = config.path("extensionProviders").get(0).path("opentelemetry")
          .path("http").path("headers");
      assertThat(headers.get(0).path("file").asText()).isEqualTo("otlp-token");
      assertThat(headers.get(1).path("value").asText()).isEqualTo("<redacted>");
      assertThat(headers.get(2).path("value").asText()).isEqualTo("books");

      // Round trip: the GET's config with one change, sent back, keeps every secret.
      ObjectNode body = (ObjectNode) config.deepCopy();
      body.set("tracing", JSON.readTree("[{\"randomSamplingPercentage\": 33}]"));
      var put = s.put("/config/tracing", body.toString(), TestServer.TOKEN);
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      assertNoSecret(put.body());
      assertThat(Files.readString(s.file)).contains(LITERAL_KEY).doesNotContain("<redacted>");
      try (AdsTestClient c = client(s)) {
        assertThat(headers(otel(c))).containsEntry("x-api-key", LITERAL_KEY)
            .containsEntry("authorization", FILE_SECRET);
      }

      // A marker where nothing is stored is refused, naming the place, not a value.
      ObjectNode bad = (ObjectNode) config.deepCopy();
      ((ObjectNode) bad.path("extensionProviders").get(0).path("opentelemetry").path("http")
          .path("headers").get(2)).put("name", "x-other-key").put("value", "<redacted>");
      var refused = s.put("/config/tracing", bad.toString(), TestServer.TOKEN);
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(refused.body())
          .contains("extensionProviders[0].opentelemetry.http.headers[2].value=<redacted>");
      assertNoSecret(refused.body());

      // A rotated file is served within a poll, without a config edit.
      Files.writeString(dir.resolve("otlp-token"), ROTATED + "\n");
      awaitHeader(s, ROTATED);
      try (AdsTestClient c = client(s)) {
        assertThat(headers(otel(c))).containsEntry("authorization", ROTATED);
      }

      // A reference that breaks keeps the last good config; the problem names the reference.
      Files.delete(dir.resolve("otlp-token"));
      awaitBody(s, "/config/tracing", "file=otlp-token");
      String after = s.get("/config/tracing").body();
      assertThat(after).contains("headers[0].file=otlp-token: cannot read");
      assertNoSecret(after);
      assertThat(header(s, "authorization")).isEqualTo(ROTATED);
    } finally {
      System.setErr(original);
    }
    String logs = logged.toString(StandardCharsets.UTF_8);
    assertThat(logs).contains("a referenced value (envName, file, secretKeyRef) changed")
        .contains("no longer resolves");
    assertNoSecret(logs);
    assertThat(logs).doesNotContain(ROTATED);
  }

  @Test
  void readToken_reads_cannotWrite_noToken401_probesOpen() throws Exception {
    Files.writeString(dir.resolve("token"), TestServer.TOKEN + "\n");
    Files.writeString(dir.resolve("read-token"), "read-only-token\n");
    Files.writeString(dir.resolve("mesh.yaml"), TestMesh.base() + """
        server:
          ads: {address: 127.0.0.1, port: 0}
          admin: {address: 127.0.0.1, port: 0, tokenFile: token, readTokenFile: read-token}
        """);
    String change = "{\"tracing\":[{\"randomSamplingPercentage\":5}]}";
    try (TestServer s = TestServer.restart(dir)) {
      for (String path : List.of("/config/tracing", "/proxies")) {
        assertThat(s.get(path, null).statusCode()).as("no token " + path).isEqualTo(401);
        assertThat(s.get(path, "wrong").statusCode()).as("wrong token " + path).isEqualTo(401);
        assertThat(s.get(path, "read-only-token").statusCode()).as(path).isEqualTo(200);
        assertThat(s.get(path, TestServer.TOKEN).statusCode()).as(path).isEqualTo(200);
      }
      assertThat(s.get("/config/tracing", null).headers().firstValue("WWW-Authenticate"))
          .hasValue("Bearer");
      for (String probe : List.of("/healthz", "/readyz", "/metrics")) {
        assertThat(s.get(probe, null).statusCode()).as(probe).isEqualTo(200);
      }
      var readPut = s.put("/config/tracing", change, "read-only-token");
      assertThat(readPut.statusCode()).isEqualTo(403);
      assertThat(readPut.body()).contains("read token cannot change anything");
      assertThat(s.put("/config/tracing", change, null).statusCode()).isEqualTo(401);
      assertThat(s.put("/config/tracing", change, "wrong").statusCode()).isEqualTo(401);
      assertThat(Files.readString(s.file)).doesNotContain("randomSamplingPercentage: 5");
      assertThat(s.put("/config/tracing", change, TestServer.TOKEN).statusCode())
          .isEqualTo(200);
    }
  }

  private static void assertNoSecret(String text) {
    assertThat(text).doesNotContain(FILE_SECRET).doesNotContain("file-secret-000")
        .doesNotContain(LITERAL_KEY).doesNotContain(SW_TOKEN);
  }

  private static AdsTestClient client(TestServer s) {
    return new AdsTestClient(ManagedChannelBuilder.forAddress("127.0.0.1", s.app.adsPort())
        .usePlaintext().build(),
        Node.newBuilder().setId("sidecar~10.0.0.10~pp-1").setCluster("productpage").build(),
        false);
  }

  /** The OpenTelemetry provider of the inbound listener, from a full SotW fetch. */
  private static OpenTelemetryConfig otel(AdsTestClient c) throws InterruptedException {
    var res = AdsServerTest.syncSotw(c);
    Listener l = AdsServerTest.listeners(res.get(LDS)).get("virtualInbound");
    return unpack(AdsServerTest.hcm(l).getTracing().getProvider().getTypedConfig(),
        OpenTelemetryConfig.class);
  }

  private static Map<String, String> headers(OpenTelemetryConfig otel) {
    Map<String, String> out = new HashMap<>();
    for (HeaderValueOption h : otel.getHttpService().getRequestHeadersToAddList()) {
      out.put(h.getHeader().getKey(), h.getHeader().getValue());
    }
    return out;
  }

  /** The served value of an OpenTelemetry header (what the next snapshot carries). */
  private static String header(TestServer s, String name) {
    MeshConfig.OpenTelemetryHttp p =
        (MeshConfig.OpenTelemetryHttp) s.app.plane().config().provider("otel");
    return p.headers().stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow()
        .value();
  }

  private static void awaitHeader(TestServer s, String value) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!header(s, "authorization").equals(value)) {
      assertThat(System.currentTimeMillis()).as("rotated value served").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static void awaitBody(TestServer s, String path, String text) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!s.get(path).body().contains(text)) {
      assertThat(System.currentTimeMillis()).as(path + " shows " + text).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
