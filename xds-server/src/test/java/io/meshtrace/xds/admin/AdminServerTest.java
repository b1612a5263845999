package io.meshtrace.xds.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServerTest {

  @TempDir
  Path dir;

  @Test
  void healthReadyMetrics_served() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      assertThat(s.get("/healthz").statusCode()).isEqualTo(200);
      assertThat(s.get("/readyz").statusCode()).isEqualTo(200);
      var m = s.get("/metrics");
      assertThat(m.headers().firstValue("Content-Type").orElse(""))
          .startsWith("text/plain; version=0.0.4");
      assertThat(m.body()).contains("# TYPE meshtrace_xds_nacks_total counter")
          .contains("meshtrace_xds_config_applied_total 1")
          .contains("meshtrace_xds_streams 0");
      assertThat(s.get("/proxies").body()).contains("\"proxies\" : [ ]");
      assertThat(s.get("/nope").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void sharedAdminServer_exactPathsMethodsAndProcessMetrics() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      HttpClient http = HttpClient.newHttpClient();
      for (String path : new String[] {"/healthz", "/readyz", "/metrics", "/proxies"}) {
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(s.admin() + path))
            .POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).as("POST " + path).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
      }
      HttpResponse<String> delete = http.send(HttpRequest.newBuilder(
          URI.create(s.admin() + "/config/tracing")).DELETE().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(delete.statusCode()).isEqualTo(405);
      assertThat(delete.headers().firstValue("Allow")).hasValue("GET, HEAD, PUT");
      assertThat(s.get("/healthz/").statusCode()).isEqualTo(404);
      assertThat(s.get("/metrics").body())
          .contains("jvm_memory_used_bytes{")
          .contains("process_cpu_seconds_total ")
          .containsPattern("meshtrace_build_info\\{service=\"xds-server\",version=\"[^\"]+\"} 1");
    }
  }

  @Test
  void configRejected_countsRejectedFileReloadsAndWrites() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      assertThat(s.get("/metrics").body()).contains("meshtrace_xds_config_rejected_total 0.0");
      // A file reload the parser rejects (it used to count nothing), then a rejected PUT.
      Files.writeString(s.file, TestServer.withServer(TestMesh.base())
          .replace("randomSamplingPercentage: 10", "randomSamplingPercentage: 140"));
      awaitMetric(s, "meshtrace_xds_config_rejected_total 1.0");
      var put = s.put("/config/tracing", "{\"tracing\":[{\"randomSamplingPercentage\":-1}]}",
          TestServer.TOKEN);
      assertThat(put.statusCode()).isEqualTo(400);
      assertThat(s.get("/metrics").body())
          .contains("meshtrace_xds_config_rejected_total 2.0")
          .contains("meshtrace_xds_config_reloads_total{result=\"rejected\"} 1.0")
          .contains("meshtrace_xds_admin_writes_total{result=\"rejected\"} 1.0");
    }
  }

  private static void awaitMetric(TestServer s, String line) throws Exception {
    long deadline = System.currentTimeMillis() + 5000;
    while (!s.get("/metrics").body().contains(line) && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(s.get("/metrics").body()).contains(line);
  }

  @Test
  void getTracing_showsConfigPropagationAndVersions() throws Exception {
    try (TestServer s = TestServer.start(dir, "meshVersion: 1.18.0.124\npropagation: w3c\n"
        + TestMesh.base())) {
      String body = s.get("/config/tracing").body();
      assertThat(body).contains("\"randomSamplingPercentage\" : 10")
          .contains("\"effectivePropagation\" : \"w3c\"")
          .contains("\"propagationSource\" : \"propagation\"")
          .contains("\"sidecar/productpage\"")
          .doesNotContain("\"services\"");
    }
  }

  @Test
  void putTracing_withoutOrWrongToken_refusedNothingChanges() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String before = Files.readString(s.file);
      String body = "{\"tracing\":[{\"randomSamplingPercentage\":50}]}";
      assertThat(s.put("/config/tracing", body, null).statusCode()).isEqualTo(401);
      assertThat(s.put("/config/tracing", body, "wrong").statusCode()).isEqualTo(401);
      assertThat(Files.readString(s.file)).isEqualTo(before);
      // Refused by the admin server before the route runs, counted by path and code.
      assertThat(s.get("/metrics").body()).containsPattern(
          "meshtrace_admin_requests_total\\{code=\"401\",path=\"/config/tracing\"} 2");
    }
  }

  @Test
  void putTracing_noTokenConfigured_writesDisabled() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), TestMesh.base()
        + "server:\n  ads: {port: 0}\n  admin: {port: 0}\n");
    try (TestServer s = TestServer.start(dir, "")) {
      var r = s.put("/config/tracing", "{}", "anything");
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.body()).contains("no admin token configured");
    }
  }

  @Test
  void putTracing_invalid_400NamesFieldFileUnchanged() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String before = Files.readString(s.file);
      var r = s.put("/config/tracing",
          "{\"tracing\":[{\"randomSamplingPercentage\":140}]}", TestServer.TOKEN);
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).contains("tracing[0].randomSamplingPercentage=140: must be between 0"
          + " and 100");
      var k = s.put("/config/tracing", "{\"services\":[]}", TestServer.TOKEN);
      assertThat(k.statusCode()).isEqualTo(400);
      assertThat(k.body()).contains("services: not a tracing key");
      var j = s.put("/config/tracing", "{not json", TestServer.TOKEN);
      assertThat(j.statusCode()).isEqualTo(400);
      assertThat(Files.readString(s.file)).isEqualTo(before);
    }
  }

  @Test
  void putTracing_valid_appliedPersistedAndNewVersion() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String before = s.app.plane().versions("sidecar/productpage").get("listeners");
      var r = s.put("/config/tracing", """
          {"propagation": "w3c",
           "tracing": [{"randomSamplingPercentage": 2.5,
                        "customTags": {"env": {"environment": {"name": "ENV"}}}}]}
          """, TestServer.TOKEN);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("2.5");
      assertThat(s.app.plane().versions("sidecar/productpage").get("listeners"))
          .isNotEqualTo(before);
      String file = Files.readString(s.file);
      assertThat(file).contains("randomSamplingPercentage: 2.5").contains("propagation: w3c")
          .contains("name: productpage");
      // Removing a key with null.
      var rm = s.put("/config/tracing", "{\"propagation\": null}", TestServer.TOKEN);
      assertThat(rm.statusCode()).isEqualTo(200);
      assertThat(Files.readString(s.file)).doesNotContain("propagation:");
    }
  }
}
