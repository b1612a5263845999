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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
