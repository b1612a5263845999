package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Independent checks of what the engine writes: strict validators (regular expressions, kept
 * apart from the engine's hand-written parsers), agreement across formats, OpenTelemetry
 * read-back, and idempotence (repairing the output passes).
 */
final class WrittenHeaders {
  private static final Pattern TRACEPARENT =
      Pattern.compile("00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-0[0-3]");
  private static final Pattern B3_SINGLE = Pattern.compile(
      "(?!0{16}-|0{32}-)([0-9a-f]{16}|[0-9a-f]{32})-(?!0{16})[0-9a-f]{16}(-[01d](-(?!0{16})[0-9a-f]{16})?)?|[01d]");
  private static final Pattern B3_TRACE_ID = Pattern.compile("(?!0{16}$|0{32}$)([0-9a-f]{16}|[0-9a-f]{32})");
  private static final Pattern B3_ID = Pattern.compile("(?!0{16})[0-9a-f]{16}");
  private static final Pattern REQUEST_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  private static final Pattern TRACESTATE_MEMBER = ExpectedTracestate.MEMBER;
  /**
   * The older key rules OpenTelemetry Java 1.63 still applies: a simple key starts with a
   * letter; a multi-tenant key has one {@code @}, a tenant of at most 240 chars and a vendor of
   * 1 to 13. A {@code tracestate} with any other key is dropped whole by OTel's W3C propagator.
   */
  private static final Pattern OTEL_1_63_KEY = Pattern.compile(
      "[a-z][a-z0-9_\\-*/]{0,255}|[a-z0-9][a-z0-9_\\-*/]{0,239}@[a-z0-9_\\-*/]{1,13}");
  /** Members joined by {@code ,} without whitespace or empty members, as the engine writes them. */
  private static final Pattern TRACESTATE_NORMALIZED =
      Pattern.compile("([^, \\t]([^,]*[^, \\t])?)(,[^, \\t]([^,]*[^, \\t])?)*");

  private WrittenHeaders() {}

  /** Plain check of one written value, for the fuzz loop (no AssertJ per call). */
  static boolean isValid(String name, String value, int tracestateLimit) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    switch (name) {
      case "traceparent":
        return TRACEPARENT.matcher(value).matches();
      case "b3":
        return B3_SINGLE.matcher(value).matches();
      case "x-b3-traceid":
        return B3_TRACE_ID.matcher(value).matches();
      case "x-b3-spanid":
      case "x-b3-parentspanid":
        return B3_ID.matcher(value).matches();
      case "x-b3-sampled":
        return value.equals("0") || value.equals("1");
      case "x-b3-flags":
        return value.equals("1");
      case "x-request-id":
        return REQUEST_ID.matcher(value).matches();
      case "tracestate":
        if (value.length() > tracestateLimit) {
          return false;
        }
        String[] members = value.split(",", -1);
        if (members.length > 32) {
          return false;
        }
        Set<String> keys = new HashSet<>();
        for (String member : members) {
          if (!TRACESTATE_MEMBER.matcher(member).matches() || !keys.add(member.substring(0, member.indexOf('=')))) {
            return false;
          }
        }
        return true;
      default:
        return false;
    }
  }

  /** Validates one written header value in its format. */
  static void assertValid(String name, String value, int tracestateLimit) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      assertThat(c >= 0x20 && c <= 0x7e).as("printable ASCII in %s: %s", name, value).isTrue();
    }
    switch (name) {
      case "traceparent":
        assertThat(value).as(name).matches(TRACEPARENT);
        break;
      case "b3":
        assertThat(value).as(name).matches(B3_SINGLE);
        break;
      case "x-b3-traceid":
        assertThat(value).as(name).matches(B3_TRACE_ID);
        break;
      case "x-b3-spanid":
      case "x-b3-parentspanid":
        assertThat(value).as(name).matches(B3_ID);
        break;
      case "x-b3-sampled":
        assertThat(value).as(name).isIn("0", "1");
        break;
      case "x-b3-flags":
        assertThat(value).as(name).isEqualTo("1");
        break;
      case "x-request-id":
        assertThat(value).as(name).matches(REQUEST_ID);
        break;
      case "tracestate":
        assertThat(value.length()).as("tracestate length").isLessThanOrEqualTo(tracestateLimit);
        String[] members = value.split(",", -1);
        assertThat(members.length).as("tracestate members").isBetween(1, 32);
        Set<String> keys = new HashSet<>();
        for (String member : members) {
          assertThat(member).as("tracestate member").matches(TRACESTATE_MEMBER);
          assertThat(keys.add(member.substring(0, member.indexOf('=')))).as("unique key in %s", value).isTrue();
        }
        break;
      default:
        throw new AssertionError("engine wrote an unexpected header " + name + ": " + value);
    }
  }

  /**
   * Checks a result against its input: values valid, formats agree with each other and with
   * the reported ids, OTel reads them back (when {@code withOtel}), and repairing the output
   * passes.
   */
  static HeaderList check(
      TraceContextRepair engine, HeaderList input, RepairResult result, boolean withOtel) {
    RepairPolicy policy = engine.policy();
    for (HeaderMutation mutation : result.mutations()) {
      assertThat(mutation.name()).isEqualTo(mutation.name().toLowerCase(java.util.Locale.ROOT));
      if (!mutation.isRemove()) {
        assertValid(mutation.name(), mutation.value(), policy.tracestateLimit());
      }
    }
    if (result.verdict() == Verdict.PASS) {
      assertThat(result).isSameAs(RepairResult.PASS);
    } else {
      assertThat(result.mutations()).isNotEmpty();
    }
    HeaderList output = input.apply(result.mutations());
    Map<String, String> out = output.toMap();
    assertThat(output.count("traceparent")).isLessThanOrEqualTo(1);
    assertThat(output.count("b3")).isLessThanOrEqualTo(1);

    if (result.traceId() != null) {
      assertThat(result.traceId()).matches("[0-9a-f]{32}");
      assertThat(result.spanId()).matches("[0-9a-f]{16}");
      for (PropagationFormat format : policy.outputFormats()) {
        switch (format) {
          case W3C:
            assertThat(out).containsKey("traceparent");
            break;
          case B3_SINGLE:
            assertThat(out).containsKey("b3");
            break;
          default:
            assertThat(out).containsKeys("x-b3-traceid", "x-b3-spanid");
        }
      }
    }
    String disagreement = decisionDisagreement(out, policy);
    assertThat(disagreement).as("sampling decisions carried on agree: %s", out).isNull();
    assertThat(ExpectedTracestate.disagreement(input, output, policy))
        .as("tracestate of %s -> %s", input, out).isNull();
    if (result.samplingDecided()) {
      assertThat(policy.outputFormats()).contains(PropagationFormat.W3C);
      assertThat(out).containsKey("traceparent");
    }
    if (withOtel) {
      // Formats carried on agree, as OpenTelemetry's propagators read them.
      List<String> otelIds = new ArrayList<>();
      if (out.containsKey("traceparent")) {
        otelIds.add(describe(OtelReadBack.w3c(out)));
      }
      if (out.containsKey("b3") && out.get("b3").length() > 1) {
        otelIds.add(describe(OtelReadBack.b3Single(out)));
      }
      if (out.containsKey("x-b3-traceid")) {
        otelIds.add(describe(OtelReadBack.b3Multi(out)));
      }
      for (String id : otelIds) {
        assertThat(id).as("OTel read-back of %s", out).doesNotStartWith("invalid");
      }
      assertThat(otelIds.stream().distinct().count()).as("formats agree: %s", out)
          .isLessThanOrEqualTo(1);
      if (result.traceId() != null) {
        assertThat(otelIds).as("OTel read-back").allMatch(id -> id.startsWith(
            result.traceId() + "/" + result.spanId() + "/"));
      }
      if (out.containsKey("traceparent") && out.containsKey("tracestate")) {
        checkOtelTracestate(out);
      }
    }
    RepairResult again = engine.repair(output.view());
    assertThat(again.verdict()).as("repairing the output of %s -> %s passes: %s", input, out, again)
        .isEqualTo(Verdict.PASS);
    return output;
  }

  /**
   * OpenTelemetry reads a {@code tracestate} in the form the engine writes back member for
   * member, in order, when every key fits OTel 1.63's older key rules; with a key only the
   * current grammar allows ({@code foo@}, {@code foo@@bar}, a tenant over 240 chars) it drops
   * the whole value and keeps the span context. A value passed on as it arrived (with spaces
   * or empty members, which OTel's splitter does not accept) is not compared.
   */
  private static void checkOtelTracestate(Map<String, String> out) {
    String tracestate = out.get("tracestate");
    if (!TRACESTATE_NORMALIZED.matcher(tracestate).matches()) {
      return;
    }
    List<String> ours = List.of(tracestate.split(",", -1));
    boolean otelKeys = ours.stream()
        .allMatch(member -> OTEL_1_63_KEY.matcher(member.substring(0, member.indexOf('='))).matches());
    List<String> otel = new ArrayList<>();
    OtelReadBack.w3c(out).getTraceState().forEach((key, value) -> otel.add(key + "=" + value));
    assertThat(otel).as("OTel's reading of tracestate %s", tracestate)
        .isEqualTo(otelKeys ? ours : List.of());
  }

  /**
   * Null when every trace format carried on carries the same sampling decision, else a
   * description of the disagreement. B3 single and multi must agree exactly (defer, accept,
   * deny, debug). {@code traceparent} has one bit: set agrees with accept and debug, unset
   * with deny, and, only when W3C is not an output format (a valid {@code traceparent} left as
   * it arrived), with B3 "no decision": a W3C the gateway writes never goes with a deferred
   * B3.
   */
  static String decisionDisagreement(Map<String, String> out, RepairPolicy policy) {
    String single = null;
    String b3 = out.get("b3");
    if (b3 != null) {
      String[] parts = b3.split("-", -1);
      single = parts.length == 1 ? b3State(parts[0]) : parts.length >= 3 ? b3State(parts[2]) : "defer";
    }
    String multi = null;
    if (out.containsKey("x-b3-traceid") || out.containsKey("x-b3-spanid")
        || out.containsKey("x-b3-sampled") || out.containsKey("x-b3-flags")) {
      String flags = out.get("x-b3-flags");
      String sampled = out.get("x-b3-sampled");
      multi = "1".equals(flags) ? "debug" : sampled == null ? "defer" : b3State(sampled);
    }
    if (single != null && multi != null && !single.equals(multi)) {
      return "b3 says " + single + ", x-b3-* say " + multi;
    }
    String traceparent = out.get("traceparent");
    if (traceparent == null || traceparent.isEmpty()) {
      return null;
    }
    boolean bit = (Character.digit(traceparent.charAt(traceparent.length() - 1), 16) & 1) == 1;
    boolean w3cWritten = policy.outputFormats().contains(PropagationFormat.W3C);
    for (String state : new String[] {single, multi}) {
      if (state == null) {
        continue;
      }
      boolean agrees = state.equals("defer") ? !bit && !w3cWritten
          : bit == (state.equals("accept") || state.equals("debug"));
      if (!agrees) {
        return "traceparent sampled=" + bit + " (W3C " + (w3cWritten ? "written" : "kept")
            + "), B3 says " + state;
      }
    }
    return null;
  }

  private static String b3State(String value) {
    switch (value) {
      case "1":
        return "accept";
      case "0":
        return "deny";
      case "d":
        return "debug";
      default:
        return "invalid " + value;
    }
  }

  static String describe(SpanContext context) {
    if (!context.isValid()) {
      return "invalid";
    }
    return context.getTraceId() + "/" + context.getSpanId() + "/" + context.isSampled();
  }
}
