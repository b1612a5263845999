package io.meshtrace.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The read/write token table of {@link AdminTokens}, on a real admin server. */
class AdminTokensTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  /**
   * Rows: configured read token, write token; the token sent; expected GET and PUT status.
   * "-" is none.
   */
  @ParameterizedTest(name = "read={0} write={1} sent={2}: GET {3}, PUT {4}")
  @CsvSource({
      "-, -, -, 200, 403",
      "-, -, w, 200, 403",
      "-, w, -, 401, 401",
      "-, w, x, 401, 401",
      "-, w, w, 200, 200",
      "r, w, r, 200, 403",
      "r, w, w, 200, 200",
      "r, w, -, 401, 401",
      "r, -, r, 200, 403",
      "r, -, -, 401, 403"})
  void tokens_getAndPut(String read, String write, String sent, int get, int put)
      throws Exception {
    AdminTokens tokens = AdminTokens.of(none(read) ? null : "read-" + read,
        none(write) ? null : "write-" + write);
    String auth = none(sent) ? null : "Bearer " + (sent.equals("r") ? "read-r"
        : sent.equals("w") ? "write-w" : "wrong");
    try (AdminServer s = AdminServer.builder("test").address("127.0.0.1", 0).tokens(tokens)
        .route(Route.of("/config", Set.of("GET", "PUT"), 1024,
            r -> AdminResponse.text(200, r.method() + " ok\n")))
        .start()) {
      assertThat(send(s, "GET", "/config", auth).statusCode()).isEqualTo(get);
      HttpResponse<String> p = send(s, "PUT", "/config", auth);
      assertThat(p.statusCode()).isEqualTo(put);
      if (put == 401) {
        assertThat(p.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      }
      for (String probe : new String[] {"/healthz", "/readyz", "/metrics"}) {
        assertThat(send(s, "GET", probe, null).statusCode()).as(probe).isEqualTo(200);
      }
    }
  }

  @Test
  void load_flagFileOverEnvOverFallback_emptyFileNamed() throws Exception {
    Path flag = Files.writeString(dir.resolve("flag"), "from-flag\nignored second line\n");
    Path fallback = Files.writeString(dir.resolve("fallback"), "from-config\n");
    Path empty = Files.writeString(dir.resolve("empty"), "  \n");
    Map<String, String> env = Map.of(AdminTokens.WRITE_ENV, "from-env");
    assertThat(AdminTokens.load(flag, null, env, fallback, null).check("PUT",
        "Bearer from-flag")).isNull();
    assertThat(AdminTokens.load(null, null, env, fallback, null).check("PUT",
        "Bearer from-env")).isNull();
    AdminTokens fromConfig = AdminTokens.load(null, null, Map.of(), fallback, fallback);
    assertThat(fromConfig.check("PUT", "Bearer from-config")).isNull();
    assertThat(AdminTokens.load(null, null, Map.of(), null, null).configured()).isFalse();
    assertThatThrownBy(() -> AdminTokens.load(empty, null, Map.of(), null, null))
        .isInstanceOf(IOException.class).hasMessageContaining(empty.toString())
        .hasMessageContaining("is empty");
    assertThat(fromConfig.toString()).doesNotContain("from-config");
  }

  private static boolean none(String s) {
    return s == null || s.equals("-");
  }

  private static HttpResponse<String> send(AdminServer s, String method, String path,
      String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
        + path)).method(method, method.equals("PUT")
            ? HttpRequest.BodyPublishers.ofString("{\"a\":1}")
            : HttpRequest.BodyPublishers.noBody());
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
