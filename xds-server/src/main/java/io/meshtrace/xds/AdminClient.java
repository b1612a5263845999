package io.meshtrace.xds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The flags and the one GET of the commands that read a running server's admin API
 * ({@code proxy-status}, {@code proxy-config}).
 */
final class AdminClient {

  /** How long a command waits for the admin API (a fleet view takes up to 2 s of it). */
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--admin", paramLabel = "URL", defaultValue = "http://127.0.0.1:18001",
      description = "Admin API of an xds-server replica (default: ${DEFAULT-VALUE}).")
  String admin;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "Admin bearer token (default: the " + XdsApplication.TOKEN_ENV
          + " environment variable); --token-file keeps it out of the process list.")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the token.")
  Path tokenFile;

  /** An answer: status and body. */
  record Answer(int status, String body) {}

  /** {@code GET pathAndQuery} on the admin URL. */
  Answer get(CommandLine cl, String pathAndQuery) throws IOException, InterruptedException {
    URI base = base(cl);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
        .timeout(TIMEOUT).header("Accept", "application/json").GET();
    String t = token(cl);
    if (t != null) {
      b.header("Authorization", "Bearer " + t);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    try {
      HttpResponse<String> r = http.send(b.build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Answer(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new IOException("cannot read " + base + pathAndQuery + ": " + e, e);
    }
  }

  private URI base(CommandLine cl) {
    try {
      URI u = new URI(admin.trim());
      if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null
          && u.getRawQuery() == null) {
        String s = u.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new CommandLine.ParameterException(cl, "--admin=" + admin
        + ": expected http://HOST:PORT or https://HOST:PORT");
  }

  private String token(CommandLine cl) throws IOException {
    if (token != null && tokenFile != null) {
      throw new CommandLine.ParameterException(cl, "--token and --token-file: use one");
    }
    String t = token;
    if (tokenFile != null) {
      t = Files.readString(tokenFile, StandardCharsets.UTF_8);
    } else if (t == null) {
      t = System.getenv(XdsApplication.TOKEN_ENV);
    }
    return t == null || t.isBlank() ? null : t.trim();
  }

  /** The {@code error} of a JSON error answer, else the body's first line. */
  static String error(Answer a) {
    String body = a.body() == null ? "" : a.body().trim();
    try {
      JsonNode e = JSON.readTree(body).path("error");
      if (e.isTextual()) {
        return e.asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the text itself
    }
    int nl = body.indexOf('\n');
    return "answered " + a.status() + ": " + (nl < 0 ? body : body.substring(0, nl));
  }
}
