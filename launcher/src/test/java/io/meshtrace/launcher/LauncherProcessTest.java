package io.meshtrace.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.meshtrace.xds.bootstrap.EnvoyBootstrap;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher as a process, the way a user runs it: every port 0, the one printed line, both
 * admins healthy, the bootstraps decode into Envoy's Bootstrap proto and point at the ADS port
 * that was bound, and SIGTERM stops everything.
 */
class LauncherProcessTest {

  /** The command that runs the launcher from the test class path. */
  static List<String> classPathCommand() {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), Launcher.class.getName());
  }

  private static final Pattern LINE = Pattern.compile("meshtrace running"
      + " ads=127\\.0\\.0\\.1:(\\d+) xds-admin=127\\.0\\.0\\.1:(\\d+)"
      + " ext-proc=127\\.0\\.0\\.1:(\\d+) ext-proc-admin=127\\.0\\.0\\.1:(\\d+)"
      + " gateway-bootstrap=(\\S+) sidecar-bootstrap=(\\S+)"
      + "; start Envoy: envoy -c (\\S+) \\| envoy -c (\\S+) --base-id 1");
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path dir;

  @Test
  void launcher_portsZero_printsLine_adminsHealthy_bootstrapsDecode_sigtermStops()
      throws Exception {
    runAndStop(classPathCommand(), dir);
  }

  /** Starts {@code command} with every port 0, checks all of it, stops it with SIGTERM. */
  static void runAndStop(List<String> command, Path dir) throws Exception {
    Path run = dir.resolve("run");
    Path stderr = dir.resolve("stderr.txt");
    List<String> args = new java.util.ArrayList<>(command);
    args.addAll(List.of("--ads-port", "0", "--xds-admin-port", "0", "--ext-proc-port", "0",
        "--ext-proc-admin-port=0", "--dir", run.toString()));
    Process p = new ProcessBuilder(args)
        .redirectError(stderr.toFile())
        .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8));
      String line = out.readLine();
      assertThat(line).as("stderr: %s", Files.exists(stderr) ? Files.readString(stderr) : "")
          .isNotNull();
      Matcher m = LINE.matcher(line);
      assertThat(m.matches()).as(line).isTrue();
      int ads = Integer.parseInt(m.group(1));
      int xdsAdmin = Integer.parseInt(m.group(2));
      int extProc = Integer.parseInt(m.group(3));
      int extProcAdmin = Integer.parseInt(m.group(4));
      assertThat(List.of(ads, xdsAdmin, extProc, extProcAdmin)).doesNotHaveDuplicates()
          .allMatch(x -> x > 0);
      Path gateway = Path.of(m.group(5));
      Path sidecar = Path.of(m.group(6));
      assertThat(m.group(7)).isEqualTo(gateway.toString());
      assertThat(m.group(8)).isEqualTo(sidecar.toString());
      assertThat(gateway).isEqualTo(run.resolve("gateway-bootstrap.yaml").toAbsolutePath());
      assertThat(sidecar).isEqualTo(run.resolve("sidecar-bootstrap.yaml").toAbsolutePath());

      assertThat(get(xdsAdmin, "/healthz")).isEqualTo(200);
      assertThat(get(extProcAdmin, "/healthz")).isEqualTo(200);
      assertThat(get(xdsAdmin, "/readyz")).isEqualTo(200);
      assertThat(get(extProcAdmin, "/readyz")).isEqualTo(200);

      Bootstrap gw = EnvoyBootstrap.parse(Files.readString(gateway));
      Bootstrap sc = EnvoyBootstrap.parse(Files.readString(sidecar));
      assertThat(EnvoyBootstrap.check(gw)).isEmpty();
      assertThat(EnvoyBootstrap.check(sc)).isEmpty();
      for (Bootstrap b : List.of(gw, sc)) {
        assertThat(b.getStaticResources().getClusters(0).getLoadAssignment().getEndpoints(0)
            .getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress())
            .satisfies(a -> {
              assertThat(a.getAddress()).isEqualTo("127.0.0.1");
              assertThat(a.getPortValue()).isEqualTo(ads);
            });
      }
      assertThat(gw.getNode().getCluster()).isEqualTo("meshtrace-gateway");
      assertThat(gw.getNode().getMetadata().getFieldsOrThrow("role").getStringValue())
          .isEqualTo("gateway");
      assertThat(gw.getBootstrapExtensionsList()).extracting(e -> e.getName())
          .containsExactly("envoy.bootstrap.internal_listener");
      assertThat(sc.getNode().getCluster()).isEqualTo("productpage");
      assertThat(sc.getNode().getMetadata().getFieldsOrThrow("role").getStringValue())
          .isEqualTo("sidecar");
      assertThat(gw.getAdmin().getAddress().getSocketAddress().getPortValue())
          .isNotEqualTo(sc.getAdmin().getAddress().getSocketAddress().getPortValue());

      // The served config points the gateway's ext_proc filter at the ext-proc that started.
      String served = Files.readString(run.resolve("xds.yaml"));
      assertThat(served).contains("port: " + extProc);

      p.destroy();   // SIGTERM
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
      assertThat(p.exitValue()).isEqualTo(143);
      assertThat(Files.readString(stderr)).contains("stopped");
      for (int port : List.of(xdsAdmin, extProcAdmin)) {
        try {
          get(port, "/healthz");
          throw new AssertionError("admin port " + port + " still answers after SIGTERM");
        } catch (ConnectException expected) {
          // closed, as it should be
        }
      }
    } finally {
      p.destroyForcibly();
    }
  }

  private static int get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
