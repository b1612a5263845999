package io.meshtrace.context.explain;

import io.meshtrace.context.EdgeSampling;
import io.meshtrace.context.HeaderMutation;
import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.RepairResult;
import io.meshtrace.context.RequestHeaders;
import io.meshtrace.context.TraceContextRepair;
import io.meshtrace.context.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/**
 * {@code explain}: answers "why does my trace id change at the gateway?". Reads request
 * headers as {@code Name: value} lines on standard input ({@code curl -v} output works) and
 * prints the verdict, the reason, what an Envoy tracer would do with the headers as they are,
 * the changes, and the trace headers the gateway would send on. Everything printed that came
 * from the input is escaped ({@link Printable}): a hostile header cannot inject terminal
 * escapes or lines of its own.
 *
 * <pre>{@code
 * curl -sv -o /dev/null -H 'x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7' http://localhost/ 2>&1 \
 *   | java -jar trace-context/target/trace-context.jar explain --formats w3c,b3multi
 * }</pre>
 *
 * <p>Exit status: 0 after an explanation, 2 for a bad flag, 1 when standard input cannot be
 * read.
 */
public final class ExplainCommand {
  private static final Set<String> TRACE_HEADERS = Set.of("traceparent", "tracestate", "b3",
      "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags",
      "x-request-id", "x-ot-span-context");

  private ExplainCommand() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /**
   * Runs the command. {@code args} may start with the word {@code explain}; the rest are flags
   * (see {@code --help}). Returns the exit status.
   */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    ExplainFlags flags = ExplainFlags.parse(args);
    if (flags.help) {
      out.print(ExplainFlags.USAGE);
      return 0;
    }
    if (flags.version) {
      out.println("explain " + version() + " (Java " + Runtime.version() + ")");
      return 0;
    }
    if (flags.error != null) {
      err.println("explain: " + Printable.escape(flags.error));
      err.println("run 'explain --help' for the flags");
      return 2;
    }
    HeaderTranscript transcript;
    try {
      transcript = HeaderTranscript.read(in);
    } catch (IOException e) {
      err.println("explain: cannot read standard input: " + Printable.escape(e.getMessage()));
      return 1;
    }
    for (String skipped : transcript.skipped) {
      err.println("explain: skipped " + Printable.escape(skipped));
    }
    explain(flags.policy, transcript, out);
    return 0;
  }

  /** The version the build wrote into {@code build.properties}. */
  private static String version() {
    try (InputStream in = ExplainCommand.class.getResourceAsStream("build.properties")) {
      java.util.Properties p = new java.util.Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void explain(RepairPolicy policy, HeaderTranscript transcript, PrintStream out) {
    TraceContextRepair engine = TraceContextRepair.create(policy);
    RepairResult result = engine.repair(RequestHeaders.ofPairs(transcript.pairs()));

    out.println("policy:   " + describe(policy));
    out.println("verdict:  " + result.verdict().name().toLowerCase(Locale.ROOT));
    out.println("reason:   " + result.reason().code() + " - " + result.reason().description());
    List<String> names = new ArrayList<>(transcript.names);
    List<String> values = new ArrayList<>(transcript.values);
    apply(result.mutations(), names, values);
    out.println("sampling: " + sampling(policy, result, names, values));

    List<String> warnings = EnvoyView.newTraceWarnings(transcript.names, transcript.values);
    out.println();
    out.println("as received:");
    if (warnings.isEmpty()) {
      out.println("  an Envoy tracer would continue the incoming trace.");
    }
    for (String warning : warnings) {
      out.println("  " + warning);
    }
    String samplingNote = EnvoyView.samplingNote(transcript.names, transcript.values);
    if (samplingNote != null) {
      out.println("  " + samplingNote);
    }

    out.println();
    out.println("changes:");
    if (result.mutations().isEmpty()) {
      out.println("  none");
    }
    for (HeaderMutation mutation : result.mutations()) {
      out.println(mutation.isRemove()
          ? "  remove " + mutation.name()
          : "  set    " + mutation.name() + ": " + Printable.escape(mutation.value()));
    }

    out.println();
    out.println("sent on (trace headers):");
    boolean any = false;
    for (int i = 0; i < names.size(); i++) {
      if (TRACE_HEADERS.contains(names.get(i))) {
        out.println("  " + names.get(i) + ": " + Printable.escape(values.get(i)));
        any = true;
      }
    }
    if (!any) {
      out.println("  none");
    }
    String[] ids = carriedIds(names, values);
    out.println();
    if (ids != null) {
      out.println("trace id " + Printable.escape(ids[0]) + ", span id " + Printable.escape(ids[1])
          + ": Envoy continues this trace after the gateway.");
    } else {
      out.println("no trace id is sent on: Envoy will start the trace.");
    }
  }

  private static String describe(RepairPolicy policy) {
    StringJoiner formats = new StringJoiner(",");
    for (PropagationFormat format : PropagationFormat.values()) {
      if (policy.outputFormats().contains(format)) {
        formats.add(format.configName());
      }
    }
    return "--formats " + formats + " --winner " + policy.winner().configName()
        + " --sampling " + policy.edgeSampling().configName()
        + (policy.addRequestId() ? "" : " --no-request-id")
        + " --tracestate-limit " + policy.tracestateLimit()
        + (policy.startTraceWhenAbsent() ? "" : " --no-start-trace")
        + " --new-trace-sampling " + percent(policy.newTraceSamplingPercent());
  }

  private static String percent(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  /** Who made the sampling decision that is sent on, and what it is. */
  private static String sampling(
      RepairPolicy policy, RepairResult result, List<String> names, List<String> values) {
    String rate = "--new-trace-sampling " + percent(policy.newTraceSamplingPercent());
    boolean writesW3c = policy.outputFormats().contains(PropagationFormat.W3C);
    String traceparent = null;
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals("traceparent")) {
        traceparent = values.get(i);
      }
    }
    boolean sampled = traceparent != null && traceparent.length() == 55
        && (Character.digit(traceparent.charAt(54), 16) & 1) == 1;
    if (result.samplingDecided()) {
      return "decided by the gateway: " + (sampled ? "sampled" : "not sampled") + " (no decision "
          + (policy.edgeSampling() == EdgeSampling.TRUST ? "arrived" : "arrived, or --sampling "
              + policy.edgeSampling().configName() + " dropped it")
          + "; W3C is written, so the gateway samples " + rate + " percent of such requests"
          + " and writes the one decision to every format)";
    }
    if (result.verdict() == Verdict.PASS && writesW3c && traceparent != null
        && policy.edgeSampling() == EdgeSampling.DEFER) {
      return "decided by the gateway: " + (sampled ? "sampled" : "not sampled")
          + " (--sampling defer drops the incoming decision; W3C is written, so the gateway"
          + " samples " + rate + " percent): the same decision arrived, nothing changes";
    }
    if (writesW3c ? traceparent == null : !carriesTrace(names)) {
      return "no trace context is sent on: the Envoy tracer behind the gateway decides";
    }
    if (!writesW3c) {
      return "not decided here (B3 output only): an incoming decision is kept"
          + (policy.edgeSampling() == EdgeSampling.TRUST ? "" : " unless --sampling "
              + policy.edgeSampling().configName() + " drops it")
          + "; without one Envoy's Zipkin tracer samples with its own percentage";
    }
    return "as received: " + (sampled ? "sampled" : "not sampled");
  }

  private static boolean carriesTrace(List<String> names) {
    for (String name : names) {
      if (name.equals("traceparent") || name.equals("b3") || name.equals("x-b3-traceid")) {
        return true;
      }
    }
    return false;
  }
  private static void apply(List<HeaderMutation> mutations, List<String> names, List<String> values) {
    for (HeaderMutation mutation : mutations) {
      for (int i = names.size() - 1; i >= 0; i--) {
        if (names.get(i).equals(mutation.name())) {
          names.remove(i);
          values.remove(i);
        }
      }
      if (!mutation.isRemove()) {
        names.add(mutation.name());
        values.add(mutation.value());
      }
    }
  }

  /** The ids the outgoing headers carry (after repair every format agrees), or null. */
  private static String[] carriedIds(List<String> names, List<String> values) {
    String traceId = null;
    String spanId = null;
    String b3 = null;
    for (int i = 0; i < names.size(); i++) {
      String value = values.get(i);
      switch (names.get(i)) {
        case "traceparent":
          if (value.length() == 55) {
            return new String[] {value.substring(3, 35), value.substring(36, 52)};
          }
          break;
        case "x-b3-traceid":
          traceId = value;
          break;
        case "x-b3-spanid":
          spanId = value;
          break;
        case "b3":
          b3 = value;
          break;
        default:
          break;
      }
    }
    if (traceId != null && spanId != null) {
      return new String[] {pad(traceId), spanId};
    }
    if (b3 != null && b3.indexOf('-') > 0) {
      String[] parts = b3.split("-", -1);
      return new String[] {pad(parts[0]), parts[1]};
    }
    return null;
  }

  private static String pad(String traceId) {
    return traceId.length() == 16 ? "0000000000000000" + traceId : traceId;
  }
}
