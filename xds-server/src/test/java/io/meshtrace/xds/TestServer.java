package io.meshtrace.xds;

import io.meshtrace.xds.config.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;

/** The control plane on 127.0.0.1 with free ports, a config file and an admin token. */
public final class TestServer implements AutoCloseable {

  public static final String TOKEN = "s3cret-token";
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  public final Path dir;
  public final Path file;
  public final XdsApplication app;

  private TestServer(Path dir, Path file, XdsApplication app) {
    this.dir = dir;
    this.file = file;
    this.app = app;
  }

  /** Writes {@code yaml} (plus an admin section) to {@code dir/mesh.yaml} and starts on it. */
  public static TestServer start(Path dir, String yaml)
      throws IOException, ConfigException, GeneralSecurityException {
    Files.writeString(dir.resolve("token"), TOKEN + "\n");
    Path file = dir.resolve("mesh.yaml");
    if (!Files.exists(file)) {
      Files.writeString(file, withServer(yaml));
    }
    return new TestServer(dir, file, XdsApplication.start(file, 0, 0, Duration.ofMillis(100)));
  }

  /** Restarts on the same file. */
  public static TestServer restart(Path dir)
      throws IOException, ConfigException, GeneralSecurityException {
    Path file = dir.resolve("mesh.yaml");
    return new TestServer(dir, file, XdsApplication.start(file, 0, 0, Duration.ofMillis(100)));
  }

  public static String withServer(String yaml) {
    return yaml + "server:\n  ads: {address: 127.0.0.1, port: 0}\n"
        + "  admin: {address: 127.0.0.1, port: 0, tokenFile: token}\n";
  }

  public String admin() {
    return "http://127.0.0.1:" + app.adminPort();
  }

  /** A GET with the admin token (every route but the probes asks for one). */
  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return get(path, TOKEN);
  }

  /** A GET with {@code token}, or none when null. */
  public HttpResponse<String> get(String path, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(admin() + path)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> put(String path, String json, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(admin() + path))
        .PUT(HttpRequest.BodyPublishers.ofString(json))
        .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    app.close();
  }
}
