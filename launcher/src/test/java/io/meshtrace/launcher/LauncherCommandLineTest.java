package io.meshtrace.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.cli.ExitCode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The launcher's command line: help, version, bad flags, a port in use. */
class LauncherCommandLineTest {

  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Launcher.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  static List<List<String>> helpAndVersion() {
    return List.of(List.of("--help"), List.of("-h"), List.of("--version"), List.of("-V"));
  }

  @ParameterizedTest
  @MethodSource("helpAndVersion")
  void helpAndVersion_exit0(List<String> args) {
    assertThat(run(args.toArray(new String[0]))).isEqualTo(ExitCode.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).containsAnyOf("usage: meshtrace",
        "meshtrace 0.");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void help_listsEveryFlag() {
    run("--help");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--bind=ADDR", "--ads-port=N",
        "--xds-admin-port=N", "--ext-proc-port=N", "--ext-proc-admin-port=N", "--dir=DIR",
        "--config=FILE", "--admin-tls-cert=FILE", "--version");
  }

  static List<List<String>> badFlags() {
    return List.of(List.of("--nope"), List.of("--ads-port=x"), List.of("--dir"),
        List.of("--admin-tls-client-ca=ca.pem"));
  }

  @ParameterizedTest
  @MethodSource("badFlags")
  void badFlag_exit2NamingIt(List<String> args) {
    assertThat(run(args.toArray(new String[0]))).isEqualTo(ExitCode.USAGE);
    String flag = args.get(0).contains("=") ? args.get(0).substring(0, args.get(0).indexOf('='))
        : args.get(0);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(flag).contains("usage: meshtrace");
  }

  @Test
  void portInUse_exit1NamingServiceAndFlag() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int code = run("--dir", dir.toString(), "--ads-port", "0", "--xds-admin-port",
          Integer.toString(taken.getLocalPort()), "--ext-proc-port", "0",
          "--ext-proc-admin-port", "0");
      assertThat(code).isEqualTo(ExitCode.FAILURE);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("xds-server cannot listen on 127.0.0.1:" + taken.getLocalPort()
              + " for its admin listener")
          .contains("choose another port with --xds-admin-port");
    }
  }
}
