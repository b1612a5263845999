package io.meshtrace.xds.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleApiTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  private static HttpResponse<String> send(TestServer s, String method, String path,
      String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.admin() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void console_page_servedWithCspAndEveryAsset() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      HttpResponse<String> page = s.get("/");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
      assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
          .contains("default-src 'self'").contains("frame-ancestors 'none'");
      assertThat(page.body()).contains("/console/app.js").doesNotContain("http://")
          .doesNotContain("https://");
      for (String f : ConsoleAssets.FILES) {
        HttpResponse<String> a = s.get("/console/" + f);
        assertThat(a.statusCode()).as(f).isEqualTo(200);
        assertThat(a.body()).as(f).doesNotContain("innerHTML").doesNotContain("eval(");
      }
    }
  }

  @Test
  void validate_invalidPort_problemsAndNothingApplied() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String before = s.get("/config/tracing").body();
      HttpResponse<String> r = send(s, "POST", "/config/tracing/validate",
          "{\"extensionProviders\":[{\"name\":\"otel\",\"opentelemetry\":"
              + "{\"service\":\"otel\",\"port\":70000}}]}",
          "Content-Type", "application/json", "Authorization", "Bearer " + TestServer.TOKEN);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"ok\" : false")
          .contains("extensionProviders[0].opentelemetry.port=70000: must be");
      assertThat(s.get("/config/tracing").body()).isEqualTo(before);
      HttpResponse<String> ok = send(s, "POST", "/config/tracing/validate",
          "{\"tracing\":[{\"randomSamplingPercentage\":5}]}",
          "Content-Type", "application/json", "Authorization", "Bearer " + TestServer.TOKEN);
      assertThat(ok.body()).contains("\"ok\" : true");
      assertThat(s.get("/config/tracing").body()).isEqualTo(before);
    }
  }

  @Test
  void writes_withoutTokenOrFromAnotherSite_refused() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String auth = "Bearer " + TestServer.TOKEN;
      assertThat(send(s, "POST", "/config/tracing/validate", "{}",
          "Content-Type", "application/json").statusCode()).isEqualTo(401);
      assertThat(send(s, "POST", "/config/tracing/validate", "{}",
          "Content-Type", "text/plain", "Authorization", auth).statusCode()).isEqualTo(415);
      HttpResponse<String> evil = send(s, "POST", "/config/tracing/validate", "{}",
          "Content-Type", "application/json", "Authorization", auth,
          "Origin", "https://evil.example");
      assertThat(evil.statusCode()).isEqualTo(403);
      assertThat(evil.body()).contains("Origin=https://evil.example");
      HttpResponse<String> put = send(s, "PUT", "/config/tracing",
          "{\"tracing\":[{\"randomSamplingPercentage\":5}]}",
          "Content-Type", "application/json", "Authorization", auth,
          "Sec-Fetch-Site", "cross-site");
      assertThat(put.statusCode()).isEqualTo(403);
      assertThat(send(s, "POST", "/console/trace-breaks",
          "{\"zipkin\":\"http://127.0.0.1:1\",\"traceId\":\"abc\"}",
          "Content-Type", "application/json").statusCode()).isEqualTo(401);
      String sameOrigin = s.admin();
      assertThat(send(s, "PUT", "/config/tracing",
          "{\"tracing\":[{\"randomSamplingPercentage\":5}]}",
          "Content-Type", "application/json", "Authorization", auth,
          "Origin", sameOrigin).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void traceBreaks_badInput_namesFields() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      HttpResponse<String> r = send(s, "POST", "/console/trace-breaks",
          "{\"zipkin\":\"file:///etc/passwd\",\"traceId\":\"not-hex\"}",
          "Content-Type", "application/json", "Authorization", "Bearer " + TestServer.TOKEN);
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).contains("zipkin=file:///etc/passwd: expected the http or https")
          .contains("traceId=not-hex: expected 16 or 32 hex characters");
    }
  }

  @Test
  void explain_incompleteB3_repairKeepsTraceId() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      HttpResponse<String> r = send(s, "POST", "/console/explain",
          "{\"headers\":\"x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\\n\"}",
          "Content-Type", "application/json", "Authorization", "Bearer " + TestServer.TOKEN);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"verdict\" : \"repair\"")
          .contains("\"traceId\" : \"80f198ee56343ba864fe8b2a57d3eff7\"")
          .contains("b3-span-id-missing");
      HttpResponse<String> bad = send(s, "POST", "/console/explain",
          "{\"headers\":\"\",\"formats\":\"jaeger\"}", "Content-Type", "application/json",
          "Authorization", "Bearer " + TestServer.TOKEN);
      assertThat(bad.statusCode()).isEqualTo(400);
      // A dry run needs a token like any read once tokens are configured.
      assertThat(send(s, "POST", "/console/explain", "{\"headers\":\"\"}",
          "Content-Type", "application/json").statusCode()).isEqualTo(401);
      assertThat(bad.body()).contains("formats=jaeger: expected");
    }
  }
}
