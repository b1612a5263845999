package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ExtProcMainTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String stdin, String... args) {
    return ExtProcMain.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void explain_delegatesToTheEnginesExplainCommand() {
    int code = run("x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\n", "explain");
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("verdict:  repair")
        .contains("reason:   b3-span-id-missing");
  }

  @Test
  void serve_withBadConfig_refusesToStart_namingKeyAndValue() {
    int code = run("", "serve", "--port", "70000", "--repair.edge-sampling", "maybe");
    assertThat(code).isEqualTo(ExtProcMain.EXIT_CONFIG);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("invalid configuration, not starting")
        .contains("server.port=70000: must be an integer between 0 and 65535")
        .contains("repair.edge-sampling=maybe: must be one of trust, defer, deny-forced");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void unknownCommand_orNone_printsUsage() {
    assertThat(run("", "serv")).isEqualTo(ExtProcMain.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'serv'").contains("usage:");
    assertThat(run("")).isEqualTo(ExtProcMain.EXIT_USAGE);
    assertThat(run("", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("serve [--config FILE]");
  }
}
