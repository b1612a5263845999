package io.meshtrace.context.explain;

import java.util.ArrayList;
import java.util.List;

/**
 * What an Envoy tracer would make of the headers as they arrived, without the gateway's
 * repair (docs/envoy-facts.md, fact 2): the Zipkin tracer reads B3 and treats
 * {@code x-b3-traceid} without {@code x-b3-spanid} as no context; the OpenTelemetry tracer
 * wants a 55-char {@code traceparent} (it accepts upper-case hex and version {@code ff} and
 * rejects all-zero ids). Either starts a new trace when it finds no context it can use. Values
 * quoted in the sentences are escaped ({@link Printable}).
 */
final class EnvoyView {
  private EnvoyView() {}

  /** Sentences of the form "Envoy's ... tracer would start a new trace here: ...". */
  static List<String> newTraceWarnings(List<String> names, List<String> values) {
    List<String> warnings = new ArrayList<>();
    String traceparent = first(names, values, "traceparent");
    String b3 = first(names, values, "b3");
    String traceId = first(names, values, "x-b3-traceid");
    String spanId = first(names, values, "x-b3-spanid");

    boolean b3SingleUsable = b3 != null && b3SingleHasIds(b3);
    if (traceId != null && !b3SingleUsable) {
      if (!isHex(traceId, 16) && !isHex(traceId, 32)) {
        warnings.add("Envoy's Zipkin tracer would start a new trace here: x-b3-traceid "
            + Printable.quote(traceId) + " is not 16 or 32 hex digits.");
      } else if (spanId == null) {
        warnings.add("Envoy's Zipkin tracer would start a new trace here: x-b3-traceid arrives "
            + "without x-b3-spanid, which it treats as no trace context.");
      } else if (!isHex(spanId, 16)) {
        warnings.add("Envoy's Zipkin tracer would start a new trace here: x-b3-spanid "
            + Printable.quote(spanId) + " is not 16 hex digits.");
      }
    } else if (b3 != null && !b3SingleUsable && b3.length() != 1) {
      warnings.add("Envoy's Zipkin tracer would start a new trace here: b3 " + Printable.quote(b3)
          + " is not {traceid}-{spanid}[-{sampling}[-{parentspanid}]].");
    }
    if (traceparent != null && !otelAccepts(traceparent)) {
      warnings.add("Envoy's OpenTelemetry tracer would start a new trace here: traceparent "
          + Printable.quote(traceparent) + " is not a 55-char version-traceid-parentid-flags value "
          + "with non-zero ids.");
    }
    String w3cTrace = traceparent != null && otelAccepts(traceparent)
        ? traceparent.substring(3, 35).toLowerCase(java.util.Locale.ROOT) : null;
    String b3Trace = b3SingleUsable ? b3.trim().split("-", -1)[0]
        : traceId != null && spanId != null && isHex(spanId, 16)
            && (isHex(traceId, 16) || isHex(traceId, 32)) ? traceId : null;
    if (w3cTrace != null && b3Trace != null) {
      String padded = b3Trace.length() == 16 ? "0000000000000000" + b3Trace : b3Trace;
      if (!padded.equalsIgnoreCase(w3cTrace)) {
        warnings.add("Envoy's Zipkin tracer (B3) would continue trace " + Printable.escape(padded)
            + " and its OpenTelemetry tracer (W3C) trace " + Printable.escape(w3cTrace)
            + ": which one you see depends on the tracer.");
      }
    }
    if (traceparent == null && b3 == null && traceId == null && spanId == null) {
      warnings.add("No trace context arrived: Envoy (either tracer) would start a new trace here.");
    }
    return warnings;
  }

  /**
   * A sentence when the headers as they arrived make Envoy's two tracers decide differently:
   * {@code traceparent} not sampled (its OpenTelemetry tracer follows the bit and records
   * nothing) next to B3 ids without a decision (its Zipkin tracer samples by its own
   * percentage); else null.
   */
  static String samplingNote(List<String> names, List<String> values) {
    String traceparent = first(names, values, "traceparent");
    String b3 = first(names, values, "b3");
    String traceId = first(names, values, "x-b3-traceid");
    if (traceparent == null || !otelAccepts(traceparent)
        || (Character.digit(traceparent.charAt(54), 16) & 1) == 1) {
      return null;
    }
    boolean b3Defers = b3 != null ? b3SingleHasIds(b3) && b3.trim().split("-", -1).length == 2
        : traceId != null && first(names, values, "x-b3-sampled") == null
            && first(names, values, "x-b3-flags") == null;
    return b3Defers
        ? "the formats disagree on sampling: Envoy's OpenTelemetry tracer would not record this "
            + "trace (traceparent not sampled), its Zipkin tracer would sample it by its own "
            + "percentage (B3 carries no decision)."
        : null;
  }

  /** Envoy's OpenTelemetry extractor: 55 chars, hex of either case, ids not all zero. */
  static boolean otelAccepts(String value) {
    if (value.length() != 55 || value.charAt(2) != '-' || value.charAt(35) != '-'
        || value.charAt(52) != '-') {
      return false;
    }
    String version = value.substring(0, 2);
    String trace = value.substring(3, 35);
    String span = value.substring(36, 52);
    String flags = value.substring(53);
    return isAnyCaseHex(version) && isAnyCaseHex(trace) && isAnyCaseHex(span) && isAnyCaseHex(flags)
        && !trace.chars().allMatch(c -> c == '0') && !span.chars().allMatch(c -> c == '0');
  }

  private static boolean b3SingleHasIds(String value) {
    String[] parts = value.trim().split("-", -1);
    return parts.length >= 2 && (isHex(parts[0], 16) || isHex(parts[0], 32)) && isHex(parts[1], 16);
  }

  private static boolean isHex(String value, int length) {
    return value.length() == length && isAnyCaseHex(value);
  }

  private static boolean isAnyCaseHex(String value) {
    if (value.isEmpty()) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.digit(value.charAt(i), 16) < 0 || value.charAt(i) > 'f') {
        return false;
      }
    }
    return true;
  }

  private static String first(List<String> names, List<String> values, String name) {
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(name)) {
        return values.get(i);
      }
    }
    return null;
  }
}
