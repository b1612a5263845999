package io.meshtrace.context.explain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ExplainCommandTest {

  static final class Run {
    final int status;
    final String out;
    final String err;

    Run(int status, String out, String err) {
      this.status = status;
      this.out = out;
      this.err = err;
    }
  }

  static Run run(String input, String... args) {
    return run(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), args);
  }

  static Run run(InputStream in, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ExplainCommand.run(args, in, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void explain_curlVerboseIncompleteB3_repairsAndSaysZipkinWouldStartNewTrace() throws IOException {
    Run run;
    try (InputStream in = Files.newInputStream(Path.of("examples/incomplete-b3.txt"))) {
      run = run(in, "explain");
    }
    assertThat(run.status).isZero();
    assertThat(run.out)
        .contains("verdict:  repair")
        .contains("reason:   b3-span-id-missing")
        .contains("Envoy's Zipkin tracer would start a new trace here")
        .contains("set    x-b3-spanid: ")
        .contains("x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7")
        .contains("traceparent: 00-80f198ee56343ba864fe8b2a57d3eff7-")
        .contains("trace id 80f198ee56343ba864fe8b2a57d3eff7");
    // curl's request line, '*' notes, the status line and blank lines are skipped quietly.
    assertThat(run.err).isEmpty();
  }

  @Test
  void explain_brokenTraceparent_regeneratesAndSaysOpenTelemetryWouldStartNewTrace() throws IOException {
    Run run;
    try (InputStream in = Files.newInputStream(Path.of("examples/broken-traceparent.txt"))) {
      run = run(in, "explain");
    }
    assertThat(run.status).isZero();
    assertThat(run.out)
        .contains("verdict:  regenerate")
        .contains("reason:   traceparent-invalid")
        .contains("Envoy's OpenTelemetry tracer would start a new trace here")
        .contains("remove tracestate");
  }

  @Test
  void explain_validW3c_passesAndChangesNothing() throws IOException {
    Run run;
    try (InputStream in = Files.newInputStream(Path.of("examples/valid-w3c.txt"))) {
      run = run(in);
    }
    assertThat(run.status).isZero();
    assertThat(run.out)
        .contains("verdict:  pass")
        .contains("reason:   none")
        .contains("changes:\n  none")
        .contains("an Envoy tracer would continue the incoming trace")
        .doesNotContain("would start a new trace");
  }

  @Test
  void explain_disagreeingFormats_namesBothTraces() throws IOException {
    Run run;
    try (InputStream in = Files.newInputStream(Path.of("examples/disagreeing-formats.txt"))) {
      run = run(in, "explain");
    }
    assertThat(run.out)
        .contains("reason:   formats-disagree")
        .contains("would continue trace 0000000000000000463ac35c9f6413ad")
        .contains("trace 4bf92f3577b34da6a3ce929d0e0e4736");
  }

  @Test
  void explain_policyFlags_applied() {
    Run run = run("X-B3-TraceId: 463ac35c9f6413ad\nx-b3-spanid: e457b5a2e4d86bd1\nx-b3-flags: 1\n",
        "explain", "--formats", "w3c", "--winner=b3multi", "--sampling", "deny-forced",
        "--no-request-id", "--tracestate-limit", "1024");
    assertThat(run.status).isZero();
    assertThat(run.out)
        .contains("policy:   --formats w3c --winner b3multi --sampling deny-forced --no-request-id "
            + "--tracestate-limit 1024 --new-trace-sampling 100")
        .contains("reason:   sampling-policy")
        .contains("sampling: decided by the gateway: sampled (no decision arrived, or --sampling "
            + "deny-forced dropped it; W3C is written, so the gateway samples --new-trace-sampling 100")
        .contains("set    traceparent: 00-0000000000000000463ac35c9f6413ad-e457b5a2e4d86bd1-01")
        .contains("remove x-b3-flags")
        .doesNotContain("x-request-id");
  }

  @Test
  void explain_noHeadersNoStartTrace_leavesItToEnvoy() {
    Run run = run("GET / HTTP/1.1\nHost: example.com\n\n", "--no-start-trace", "--no-request-id");
    assertThat(run.out)
        .contains("verdict:  pass")
        .contains("No trace context arrived: Envoy (either tracer) would start a new trace here.")
        .contains("no trace id is sent on: Envoy will start the trace.");
  }

  @Test
  void explain_controlCharsInValue_shownEscaped() {
    Run run = run("x-ot-span-context: a\u0001b\u00e9\n", "--no-request-id");
    assertThat(run.out).contains("x-ot-span-context: a\\x01b\\u00e9");
  }

  @Test
  void explain_tracestateRepeatedKey_keepsFirstMemberAndSaysWhy() {
    Run run = run("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"
        + "tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,congo=BleGNlZWRzIHRohbCBwbGVhc3VyZS4\n",
        "--formats", "w3c", "--no-request-id");
    assertThat(run.out)
        .contains("verdict:  repair")
        .contains("reason:   tracestate-duplicate-key - tracestate repeats a key: the first member with"
            + " that key is kept, later ones dropped.")
        .contains("  set    tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
        .contains("trace id 4bf92f3577b34da6a3ce929d0e0e4736, span id 00f067aa0ba902b7");
  }

  @Test
  void explain_tracestateKeysOfTheCurrentGrammar_pass() {
    Run run = run("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"
        + "tracestate: foo@=1,foo@@bar=2\n", "--formats", "w3c", "--no-request-id");
    assertThat(run.out).contains("verdict:  pass").contains("  tracestate: foo@=1,foo@@bar=2");
  }

  @Test
  void explain_traceparentAllZeroParentId_regeneratesAndSaysWhy() {
    Run run = run("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01\n"
        + "tracestate: congo=t61rcWkgMzE\n");
    assertThat(run.out)
        .contains("verdict:  regenerate")
        .contains("reason:   traceparent-zero-parent-id - traceparent parent id is all zeros: invalid,")
        .contains("Envoy's OpenTelemetry tracer would start a new trace here")
        .contains("  remove tracestate")
        .doesNotContain("trace id 4bf92f3577b34da6a3ce929d0e0e4736");
  }

  static Stream<Arguments> hostileInputs() {
    String esc = "\u001b";
    String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    return Stream.of(
        Arguments.of("clear screen and window title in x-b3-traceid",
            "x-b3-traceid: " + esc + "[2J" + esc + "]0;owned\u0007\n", new String[0],
            "x-b3-traceid '\\x1b[2J\\x1b]0;owned\\x07' is not 16 or 32 hex digits"),
        Arguments.of("cursor up in x-b3-spanid",
            "x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\nx-b3-spanid: " + esc + "[1A" + esc + "[2K\n",
            new String[0], "x-b3-spanid '\\x1b[1A\\x1b[2K' is not 16 hex digits"),
        Arguments.of("bidi override in b3",
            "b3: 80f198ee56343ba8-\u202e1dbf6d4e2a5b754e\n", new String[0],
            "b3 '80f198ee56343ba8-\\u202e1dbf6d4e2a5b754e' is not"),
        Arguments.of("colour in traceparent",
            "traceparent: " + esc + "[31m" + tp + "\n", new String[0],
            "traceparent '\\x1b[31m" + tp + "' is not a 55-char"),
        Arguments.of("x-request-id is never changed, and printed escaped",
            "traceparent: " + tp + "\nx-request-id: f81d" + esc + "[1Averdict:  pass\n", new String[0],
            "  x-request-id: f81d\\x1b[1Averdict:  pass"),
        Arguments.of("NEL, line separator and a backslash in x-ot-span-context",
            "x-ot-span-context: a\u0085b\u2028c\\x0a\u00e9\n", new String[0],
            "  x-ot-span-context: a\\u0085b\\u2028c\\\\x0a\\u00e9"),
        Arguments.of("escape in a line that is not a header",
            "not a header " + esc + "[31mred\n", new String[0],
            "explain: skipped line 1: no 'Name: value': not a header \\x1b[31mred"),
        Arguments.of("newline and escape in a flag value",
            "", new String[] {"--sampling", "trust\nverdict:  pass" + esc + "[0m"},
            "explain: --sampling=trust\\x0averdict:  pass\\x1b[0m: must be one of"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileInputs")
  void explain_controlAndNonAsciiCharsFromInput_printedEscapedOnEveryPath(
      String name, String input, String[] args, String expected) {
    Run run = run(input, args);
    assertThat(run.out + run.err).contains(expected);
    for (String printed : new String[] {run.out, run.err}) {
      for (int i = 0; i < printed.length(); i++) {
        char c = printed.charAt(i);
        assertThat(c == '\n' || (c >= 0x20 && c <= 0x7e))
            .as("char %d (0x%x) printed in %s", i, (int) c, printed).isTrue();
      }
    }
    // Nothing from the input starts a line of its own: one verdict line at most, the command's.
    assertThat((run.out + run.err).lines().filter(line -> line.startsWith("verdict:")).count())
        .isLessThanOrEqualTo(1);
  }

  @Test
  void explain_lineWithoutColon_reportedOnStderr() {
    Run run = run("this is not a header\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n");
    assertThat(run.status).isZero();
    assertThat(run.err).contains("skipped line 1: no 'Name: value': this is not a header");
    assertThat(run.out).contains("reason:   format-missing");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
    "--sampling|always|--sampling=always: must be one of trust, defer, deny-forced",
    "--winner|zipkin|--winner=zipkin: must be one of w3c, b3multi, b3single",
    "--formats|w3c,jaeger|--formats=w3c,jaeger: 'jaeger' is not a format",
    "--formats|''|--formats=: '' is not a format",
    "--tracestate-limit|100|--tracestate-limit=100: must be an integer of at least 512",
    "--tracestate-limit|lots|--tracestate-limit=lots: must be an integer of at least 512",
    "--new-trace-sampling|140|--new-trace-sampling=140: must be a number between 0 and 100",
    "--new-trace-sampling|-1|--new-trace-sampling=-1: must be a number between 0 and 100",
    "--new-trace-sampling|NaN|--new-trace-sampling=NaN: must be a number between 0 and 100",
    "--new-trace-sampling|10%|--new-trace-sampling=10%: must be a number between 0 and 100",
    "--new-trace-sampling|.5|--new-trace-sampling=.5: must be a number between 0 and 100",
  })
  void explain_badFlagValue_exits2NamingFlagAndValue(String flag, String value, String message) {
    Run run = run("", "explain", flag, value);
    assertThat(run.status).isEqualTo(2);
    assertThat(run.err).contains("explain: " + message);
    assertThat(run.out).isEmpty();
  }

  /** The conventions of every meshtrace command line, kept by hand here (no library). */
  @Test
  void explain_helpVersionBadFlag_exitCodesOfEveryJar() {
    Run help = run("", "explain", "--help");
    assertThat(help.status).isZero();
    assertThat(help.out).startsWith("usage: explain");
    Run version = run("", "--version");
    assertThat(version.status).isZero();
    assertThat(version.out).matches("explain \\d\\S* \\(Java .+\\)\\R");
    Run bad = run("", "--frobnicate=1");
    assertThat(bad.status).isEqualTo(2);
    assertThat(bad.err).contains("--frobnicate");
  }

  @Test
  void explain_noContextNewTraceSampling0_saysTheGatewayDecidedNotSampled() {
    Run run = run("GET /productpage HTTP/1.1\nHost: example.com\n", "--new-trace-sampling", "0",
        "--no-request-id");
    assertThat(run.status).isZero();
    assertThat(run.out)
        .contains("policy:   --formats w3c,b3multi --winner b3multi --sampling trust --no-request-id "
            + "--tracestate-limit 512 --new-trace-sampling 0")
        .contains("reason:   no-context")
        .contains("sampling: decided by the gateway: not sampled (no decision arrived; W3C is "
            + "written, so the gateway samples --new-trace-sampling 0 percent of such requests")
        .contains("x-b3-sampled: 0")
        .containsPattern("traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-02");
  }

  @Test
  void explain_b3WithoutDecisionFractionalPercent_showsPolicyValueAndDecision() {
    Run run = run("x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\nx-b3-spanid: e457b5a2e4d86bd1\n",
        "--new-trace-sampling=100.0", "--no-request-id");
    assertThat(run.out)
        .contains("--new-trace-sampling 100\n")
        .contains("reason:   format-missing")
        .contains("sampling: decided by the gateway: sampled")
        .contains("set    traceparent: 00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01")
        .contains("set    x-b3-sampled: 1");
    Run fractional = run("", "--new-trace-sampling", "0.25", "--no-request-id");
    assertThat(fractional.out).contains("--new-trace-sampling 0.25\n");
  }

  @Test
  void explain_noDecisionExample_saysTracersDisagreeAndGatewayDecides() throws IOException {
    Run run;
    try (InputStream in = Files.newInputStream(Path.of("examples/no-decision.txt"))) {
      run = run(in, "explain", "--new-trace-sampling", "100");
    }
    assertThat(run.out)
        .contains("reason:   sampling-decided")
        .contains("sampling: decided by the gateway: sampled (no decision arrived; W3C is written")
        .contains("the formats disagree on sampling: Envoy's OpenTelemetry tracer would not record")
        .contains("set    traceparent: 00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01")
        .contains("set    x-b3-sampled: 1");
  }

  @Test
  void explain_b3OnlyOutput_saysNoDecisionIsMadeHere() {
    Run run = run("x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\nx-b3-spanid: e457b5a2e4d86bd1\n",
        "--formats", "b3multi", "--no-request-id");
    assertThat(run.out)
        .contains("verdict:  pass")
        .contains("sampling: not decided here (B3 output only)")
        .contains("Envoy's Zipkin tracer samples with its own percentage");
  }

  @Test
  void explain_validSampled_samplingAsReceived() throws IOException {
    Run run;
    try (InputStream in = Files.newInputStream(Path.of("examples/valid-w3c.txt"))) {
      run = run(in);
    }
    assertThat(run.out).contains("sampling: as received: sampled");
  }

  @Test
  void explain_unknownFlag_exits2NamingIt() {
    Run run = run("", "explain", "--colour");
    assertThat(run.status).isEqualTo(2);
    assertThat(run.err).contains("unknown flag --colour");
  }

  @Test
  void explain_flagWithoutValue_exits2NamingIt() {
    Run run = run("", "explain", "--winner");
    assertThat(run.status).isEqualTo(2);
    assertThat(run.err).contains("--winner: missing value (one of w3c, b3multi, b3single)");
  }

  @Test
  void explain_help_printsFlags() {
    Run run = run("", "--help");
    assertThat(run.status).isZero();
    assertThat(run.out).contains("--formats LIST").contains("--sampling POLICY")
        .contains("--new-trace-sampling PCT");
  }
}
