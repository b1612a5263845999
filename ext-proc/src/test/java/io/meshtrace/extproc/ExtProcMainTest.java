package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.cli.ExitCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ExtProcMainTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String stdin, String... args) {
    return ExtProcMain.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** Every command's help: exit 0, its usage on standard output. */
  static List<List<String>> helpRows() {
    return List.of(
        List.of("--help"), List.of("-h"), List.of("serve", "--help"), List.of("explain", "--help"));
  }

  @ParameterizedTest
  @MethodSource("helpRows")
  void help_everyCommand_exit0WithUsage(List<String> args) {
    assertThat(run("", args.toArray(new String[0]))).as(err()).isEqualTo(ExitCode.OK);
    assertThat(out()).contains("usage:");
    assertThat(err()).isEmpty();
  }

  @Test
  void serveHelp_listsEveryConfigKeyWithItsDefault() {
    assertThat(run("", "serve", "--help")).isZero();
    assertThat(out()).contains("--config=FILE").contains("--bind=ADDR")
        .contains("--admin-tls-cert=FILE")
        .contains("--repair.output-formats=VALUE").contains("default: w3c,b3multi")
        .contains("--server.address=VALUE").contains("default: 127.0.0.1");
  }

  @Test
  void version_exit0() {
    assertThat(run("", "--version")).isZero();
    assertThat(out()).matches("ext-proc \\S+ \\(Java .+\\)\\R");
  }

  /** A bad flag on each command: exit 2, the flag named. */
  static List<List<String>> badFlagRows() {
    return List.of(
        List.of("--frobnicate"), List.of("serve", "--frobnicate"),
        List.of("serve", "--repair.no-such-key", "1"), List.of("serve", "--port"),
        List.of("explain", "--frobnicate"));
  }

  @ParameterizedTest
  @MethodSource("badFlagRows")
  void badFlag_everyCommand_exit2NamingTheFlag(List<String> args) {
    assertThat(run("", args.toArray(new String[0]))).isEqualTo(ExitCode.USAGE);
    String flag = args.stream().filter(a -> a.startsWith("--")).reduce((a, b) -> b).orElseThrow();
    assertThat(err()).contains(flag);
    assertThat(out()).isEmpty();
  }

  @Test
  void explain_delegatesToTheEnginesExplainCommand() {
    int code = run("x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\n", "explain",
        "--formats=w3c");
    assertThat(code).isZero();
    assertThat(out())
        .contains("verdict:  repair")
        .contains("reason:   b3-span-id-missing");
  }

  @Test
  void serve_withBadConfig_refusesToStart_namingKeyAndValue() {
    int code = run("", "serve", "--port", "70000", "--repair.edge-sampling=maybe");
    assertThat(code).isEqualTo(ExitCode.CONFIG);
    assertThat(err())
        .contains("invalid configuration, not starting")
        .contains("server.port=70000: must be an integer between 0 and 65535")
        .contains("repair.edge-sampling=maybe: must be one of trust, defer, deny-forced");
    assertThat(out()).isEmpty();
  }

  @Test
  void serve_portInUse_namesServiceAndFlag() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      int code = run("", "serve", "--port", Integer.toString(taken.getLocalPort()),
          "--admin-port", "0");
      assertThat(code).isEqualTo(ExitCode.FAILURE);
      assertThat(err()).contains("ext-proc cannot listen on 127.0.0.1:" + taken.getLocalPort())
          .contains("--port (server.port)");
    }
    err.reset();
    try (ServerSocket taken = new ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      int code = run("", "serve", "--port", "0", "--admin-port",
          Integer.toString(taken.getLocalPort()));
      assertThat(code).isEqualTo(ExitCode.FAILURE);
      assertThat(err()).contains("ext-proc cannot listen on 127.0.0.1:" + taken.getLocalPort()
          + " for its admin listener").contains("--admin-port (admin.port)");
    }
  }

  @Test
  void unknownCommand_orNone_exit2WithUsage() {
    assertThat(run("", "serv")).isEqualTo(ExitCode.USAGE);
    assertThat(err()).contains("serv").contains("Did you mean").contains("usage:");
    err.reset();
    assertThat(run("")).isEqualTo(ExitCode.USAGE);
    assertThat(err()).contains("missing command: one of serve, explain");
  }
}
