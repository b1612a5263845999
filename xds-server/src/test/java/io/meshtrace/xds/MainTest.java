package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import io.meshtrace.cli.ExitCode;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MainTest {

  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) throws Exception {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void bootstrap_printsTheGatewayBootstrap_andRejectsBadFlags() throws Exception {
    assertThat(run("bootstrap", "--node-id", "meshtrace-gateway", "--cluster",
        "meshtrace-gateway", "--role", "gateway", "--xds-host", "xds-server.meshtrace.svc"))
        .isZero();
    assertThat(out.toString()).isEqualTo(io.meshtrace.xds.bootstrap.EnvoyBootstrap.yaml(
        new io.meshtrace.xds.bootstrap.EnvoyBootstrap.Options("meshtrace-gateway",
            "meshtrace-gateway", io.meshtrace.xds.snapshot.NodeRole.GATEWAY,
            "xds-server.meshtrace.svc", 18000, 15000, true)));
    assertThat(run("bootstrap", "--node-id", "a", "--cluster", "b", "--role", "grpc"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--role=grpc: must be sidecar or gateway");
    assertThat(run("bootstrap", "--node-id", "a", "--cluster", "b", "--xds-port", "70000"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--xds-port=70000: must be a port between 1 and 65535");
    assertThat(run("bootstrap", "--cluster", "b")).isEqualTo(2);
    assertThat(err.toString()).contains("--node-id: required");
  }

  @Test
  void bootstrap_tlsFlags_writeTheTlsSocket_badOnesExit2NamingTheFlag() throws Exception {
    assertThat(run("bootstrap", "--node-id", "gw", "--cluster", "gw", "--role", "gateway",
        "--xds-tls-ca", "/tls/ca.crt", "--xds-tls-cert", "/tls/tls.crt", "--xds-tls-key",
        "/tls/tls.key", "--xds-tls-sni", "xds-server.meshtrace.svc")).isZero();
    assertThat(io.meshtrace.xds.bootstrap.EnvoyBootstrap.parse(out.toString())
        .getStaticResources().getClusters(0).getTransportSocket().getName())
        .isEqualTo("envoy.transport_sockets.tls");
    assertThat(run("bootstrap", "--node-id", "a", "--cluster", "b", "--xds-tls-cert", "/c",
        "--xds-tls-key", "/k")).isEqualTo(2);
    assertThat(err.toString()).contains("--xds-tls-ca: required with");
    assertThat(run("bootstrap", "--node-id", "a", "--cluster", "b", "--xds-tls-ca", "ca.crt"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--xds-tls-ca=ca.crt: must be an absolute path");
    assertThat(run("bootstrap", "--node-id", "a", "--cluster", "b", "--xds-port", "x"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--xds-port=x: must be a number between 1 and 65535");
  }

  @Test
  void validate_goodFile_exit0WithVersions() throws Exception {
    assertThat(run("validate", "config/bookinfo.yaml")).isZero();
    assertThat(out.toString()).contains("ok, propagation w3c, 12 node groups")
        .contains("sidecar/productpage {clusters=");
  }

  @Test
  void validate_badFile_exit3WithMessagesNamingFields() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, TestMesh.base().replace("randomSamplingPercentage: 10",
        "randomSamplingPercentage: 140").replace("port: 4317", "port: 0"));
    assertThat(run("validate", f.toString())).isEqualTo(3);
    assertThat(err.toString())
        .contains("tracing[0].randomSamplingPercentage=140: must be between 0 and 100")
        .contains("extensionProviders[0].opentelemetry.port=0: must be a port between 1 and"
            + " 65535");
  }

  @Test
  void validate_missingFile_exit1() throws Exception {
    assertThat(run("validate", dir.resolve("none.yaml").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("cannot read");
  }

  @Test
  void serve_missingFileExit1_badConfigExit3() throws Exception {
    assertThat(run("serve", "--config", dir.resolve("none.yaml").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("cannot start").contains("none.yaml");
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, TestMesh.base().replace("number: 9080", "number: 99999"));
    assertThat(run("serve", "--config", bad.toString(), "--port", "0", "--admin-port", "0"))
        .isEqualTo(3);
    assertThat(err.toString()).contains("services[0].ports[0].number=99999");
  }

  @Test
  void usage_unknownCommand_exit2() throws Exception {
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(run("serve", "--port", "x")).isEqualTo(2);
    assertThat(err.toString()).contains("usage: xds-server serve");
  }

  /** Every command's help: exit 0, its usage on standard output. */
  static List<List<String>> helpRows() {
    return List.of(List.of("--help"), List.of("-h"), List.of("serve", "--help"),
        List.of("validate", "--help"), List.of("bootstrap", "--help"), List.of("serve", "-h"));
  }

  @ParameterizedTest
  @MethodSource("helpRows")
  void help_everyCommand_exit0WithUsage(List<String> args) throws Exception {
    assertThat(run(args.toArray(new String[0]))).as(err.toString()).isEqualTo(ExitCode.OK);
    String name = args.size() > 1 ? "xds-server " + args.get(0) : "xds-server";
    assertThat(out.toString()).contains("usage: " + name);
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void version_exit0() throws Exception {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).matches("xds-server \\S+ \\(Java .+\\)\\R");
  }

  /** A bad flag on each command: exit 2, the flag named, the command's usage. */
  static List<List<String>> badFlagRows() {
    return List.of(List.of("--frobnicate"), List.of("serve", "--frobnicate"),
        List.of("validate", "--frobnicate", "f.yaml"), List.of("bootstrap", "--frobnicate=1"),
        List.of("serve", "--poll-ms=0"), List.of("serve", "--admin-port", "70000"),
        List.of("serve", "--admin-tls-cert", "c.pem"), List.of("serve", "--source", "nope"),
        List.of("serve", "--source", "kubernetes", "--name", "bookinfo"),
        List.of("serve", "--namespace", "meshtrace"),
        List.of("serve", "--source", "kubernetes", "--namespace", "meshtrace", "--name",
            "bookinfo", "--config", "f.yaml"),
        List.of("serve", "--namespace=Not_A_Label", "--source", "kubernetes", "--name", "b"),
        List.of("serve", "--ads-tls-cert", "c.pem"),
        List.of("serve", "--ads-tls-client-ca", "ca.pem"));
  }

  @ParameterizedTest
  @MethodSource("badFlagRows")
  void badFlag_everyCommand_exit2NamingTheFlag(List<String> args) throws Exception {
    assertThat(run(args.toArray(new String[0]))).isEqualTo(ExitCode.USAGE);
    String flag = args.stream().filter(a -> a.startsWith("--")).findFirst().orElseThrow()
        .split("=")[0];
    assertThat(err.toString()).contains(flag).contains("usage:");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void serve_portInUse_exit1NamingServiceAndFlag() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(run("serve", "--port", "0", "--admin-port",
          Integer.toString(taken.getLocalPort()))).isEqualTo(ExitCode.FAILURE);
      assertThat(err.toString()).contains("xds-server cannot listen on 127.0.0.1:"
          + taken.getLocalPort() + " for its admin listener")
          .contains("--admin-port (or server.admin.port in the config)");
      err.reset();
      assertThat(run("serve", "--port", Integer.toString(taken.getLocalPort()),
          "--admin-port", "0")).isEqualTo(ExitCode.FAILURE);
      assertThat(err.toString()).contains("xds-server cannot listen on 127.0.0.1:"
          + taken.getLocalPort() + " for its ads listener")
          .contains("--port (or server.ads.port in the config)");
    }
  }

  /** Versions are content hashes: another JVM computes the same strings. */
  @Test
  void versions_otherProcess_same() throws Exception {
    Process p = java("validate", "config/bookinfo.yaml");
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    var config = ConfigParser.parse(Files.readString(Path.of("config/bookinfo.yaml")), null);
    for (String group : List.of("sidecar/productpage", "sidecar/reviews", "grpc/productpage")) {
      String line = "  " + group + " "
          + new TreeMap<>(MeshSnapshots.build(config, group).versions());
      assertThat(stdout).contains(line);
    }
  }

  @Test
  void serve_bundledConfig_printsOneListeningLine() throws Exception {
    Process p = java("serve", "--port", "0", "--admin-port", "0");
    try {
      BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8));
      String line = r.readLine();
      assertThat(line).matches(
          "xds-server listening ads=127\\.0\\.0\\.1:\\d+ admin=127\\.0\\.0\\.1:\\d+");
    } finally {
      p.destroy();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static Process java(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}
