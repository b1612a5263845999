package io.meshtrace.context;

/**
 * Why the gateway changed a request's trace context: the main problem found. Each reason has
 * a stable kebab-case {@link #code()} used in the {@code x-meshtrace-repair} marker header,
 * metric labels and the {@code explain} output.
 *
 * <p>A request can have several problems; {@link RepairResult#reason()} is the first of them in
 * the order the constants are declared here, which is their priority: problems that cost the
 * trace id first (a broken {@code traceparent}, an all-zero parent id included, a broken B3
 * trace id), then the B3 span id (the case where Envoy's Zipkin tracer starts a new trace),
 * then formats that disagree, then problems fixed in place (whitespace, flags, sampling values,
 * parent ids), then the edge sampling policy, {@code tracestate}, a missing context, a missing
 * format, a sampling decision the gateway made, and last a missing {@code x-request-id}.
 * {@link #NONE} is the reason of {@link Verdict#PASS}.
 *
 * <p>The list can grow; codes of existing reasons never change. Do not rely on
 * {@link #ordinal()} across versions.
 */
public enum Reason {
  /** Two or more {@code traceparent} headers: invalid, a new trace is started. */
  TRACEPARENT_REPEATED("traceparent-repeated",
      "Two or more traceparent headers: invalid, a new trace is started."),
  /** {@code traceparent} version {@code ff}, forbidden by W3C. */
  TRACEPARENT_VERSION_FF("traceparent-version-ff",
      "traceparent version ff, forbidden by W3C."),
  /** {@code traceparent} does not fit the grammar: upper-case or non-hex, length, zero trace id. */
  TRACEPARENT_INVALID("traceparent-invalid",
      "traceparent does not fit the grammar: upper-case or non-hex, length, zero trace id."),
  /**
   * {@code traceparent} parent id is all zeros: invalid (the W3C test suite expects a new trace
   * id), a new trace is started and {@code tracestate} dropped.
   */
  TRACEPARENT_ZERO_PARENT_ID("traceparent-zero-parent-id",
      "traceparent parent id is all zeros: invalid, so a new trace is started and tracestate "
          + "dropped (as the W3C test suite expects)."),
  /** {@code b3} is neither {@code {traceid}-{spanid}[-{sampling}[-{parentspanid}]]} nor a decision. */
  B3_SINGLE_INVALID("b3-single-invalid",
      "b3 is neither {traceid}-{spanid}[-{sampling}[-{parentspanid}]] nor a decision: dropped."),
  /** {@code x-b3-traceid} is not 16 or 32 lower hex, is zero, or is repeated. */
  B3_TRACE_ID_INVALID("b3-trace-id-invalid",
      "x-b3-traceid is not 16 or 32 lower hex, is zero, or is repeated."),
  /** {@code x-b3-spanid} (or {@code x-b3-parentspanid}) without {@code x-b3-traceid}. */
  B3_TRACE_ID_MISSING("b3-trace-id-missing",
      "x-b3-spanid (or x-b3-parentspanid) without x-b3-traceid."),
  /** {@code x-b3-traceid} without {@code x-b3-spanid}: Envoy's Zipkin tracer would start a new trace. */
  B3_SPAN_ID_MISSING("b3-span-id-missing",
      "x-b3-traceid without x-b3-spanid: Envoy's Zipkin tracer would start a new trace."),
  /** {@code x-b3-spanid} is not 16 lower hex, is zero, or is repeated. */
  B3_SPAN_ID_INVALID("b3-span-id-invalid",
      "x-b3-spanid is not 16 lower hex, is zero, or is repeated."),
  /** W3C and B3 (or B3 single and multi) carry different ids or decisions. */
  FORMATS_DISAGREE("formats-disagree",
      "W3C and B3 (or B3 single and multi) carry different ids or decisions."),
  /** {@code traceparent} of a later version: the first 55 chars are re-emitted as version 00. */
  TRACEPARENT_FUTURE_VERSION("traceparent-future-version",
      "traceparent of a later version: the first 55 chars are re-emitted as version 00."),
  /** Spaces or tabs around a valid {@code traceparent}. */
  TRACEPARENT_WHITESPACE("traceparent-whitespace",
      "Spaces or tabs around a valid traceparent."),
  /** Spaces or tabs around a valid B3 value. */
  B3_WHITESPACE("b3-whitespace",
      "Spaces or tabs around a valid B3 value."),
  /** {@code traceparent} flags other than sampled (bit 0) and random-trace-id (bit 1) set. */
  TRACEPARENT_FLAGS("traceparent-flags",
      "traceparent flags other than sampled (bit 0) and random-trace-id (bit 1) set."),
  /** {@code x-b3-sampled} empty or not {@code 0}/{@code 1}: removed (decision deferred). */
  B3_SAMPLED_INVALID("b3-sampled-invalid",
      "x-b3-sampled empty or not 0/1: removed (decision deferred)."),
  /** {@code x-b3-sampled: true/false}: rewritten as {@code 1}/{@code 0}. */
  B3_SAMPLED_LEGACY("b3-sampled-legacy",
      "x-b3-sampled: true/false: rewritten as 1/0."),
  /** {@code x-b3-sampled} sent along with {@code x-b3-flags: 1} (debug implies sampled). */
  B3_SAMPLED_WITH_DEBUG("b3-sampled-with-debug",
      "x-b3-sampled sent along with x-b3-flags: 1 (debug implies sampled)."),
  /** {@code x-b3-flags} other than {@code 1}: removed. */
  B3_FLAGS_INVALID("b3-flags-invalid",
      "x-b3-flags other than 1: removed."),
  /** {@code x-b3-parentspanid} empty, {@code -}, zero or not 16 lower hex: removed. */
  B3_PARENT_ID_INVALID("b3-parent-id-invalid",
      "x-b3-parentspanid empty, -, zero or not 16 lower hex: removed."),
  /** The edge sampling policy ({@code defer}, {@code deny-forced}) changed the decision. */
  SAMPLING_POLICY("sampling-policy",
      "The edge sampling policy (defer, deny-forced) changed the decision."),
  /** {@code tracestate} breaks the member grammar or has more than 32 members: dropped whole. */
  TRACESTATE_INVALID("tracestate-invalid",
      "tracestate breaks the member grammar or has more than 32 members: dropped whole, "
          + "traceparent kept."),
  /**
   * {@code tracestate} repeats a key: the first member with that key is kept, the later ones
   * are dropped (also across several {@code tracestate} headers).
   */
  TRACESTATE_DUPLICATE_KEY("tracestate-duplicate-key",
      "tracestate repeats a key: the first member with that key is kept, later ones dropped."),
  /** Several {@code tracestate} headers: joined in order with {@code ,}. */
  TRACESTATE_REPEATED("tracestate-repeated",
      "Several tracestate headers: joined in order with ,."),
  /** {@code tracestate} longer than the policy's limit: truncated by whole members. */
  TRACESTATE_TOO_LONG("tracestate-too-long",
      "tracestate longer than the policy's limit: truncated by whole members."),
  /** {@code tracestate} without a usable {@code traceparent}: dropped. */
  TRACESTATE_ORPHAN("tracestate-orphan",
      "tracestate without a usable traceparent: dropped."),
  /** B3 sampling decision without ids: kept, and ids added when the policy starts traces. */
  DECISION_ONLY("decision-only",
      "B3 sampling decision without ids: kept, and ids added when the policy starts traces."),
  /** No trace headers at all: a trace is started (or, by policy, left to Envoy). */
  NO_CONTEXT("no-context",
      "No trace headers at all: a trace is started (or, by policy, left to Envoy)."),
  /** The context is valid but a configured output format is absent: it is added. */
  FORMAT_MISSING("format-missing",
      "The context is valid but a configured output format is absent: it is added."),
  /**
   * No sampling decision arrived and W3C is written: the gateway decided (sampled in
   * {@link RepairPolicy#newTraceSamplingPercent()} percent of such requests) and wrote the
   * decision to every output format.
   */
  SAMPLING_DECIDED("sampling-decided",
      "No sampling decision arrived and W3C is written: the gateway decided, by the policy's "
          + "newTraceSamplingPercent, and wrote the decision to every format."),
  /** No {@code x-request-id}: a random UUID v4 is added. */
  REQUEST_ID_MISSING("request-id-missing",
      "No x-request-id: a random UUID v4 is added."),
  /** Nothing wrong. */
  NONE("none",
      "Nothing wrong.");

  private final String code;
  private final String description;

  Reason(String code, String description) {
    this.code = code;
    this.description = description;
  }

  /** One plain-English sentence on what was wrong and what the gateway does about it. */
  public String description() {
    return description;
  }

  /** Stable kebab-case code, e.g. {@code b3-span-id-missing}. */
  public String code() {
    return code;
  }

  /** The reason with the given {@link #code()}, or null. */
  public static Reason fromCode(String code) {
    for (Reason reason : values()) {
      if (reason.code.equals(code)) {
        return reason;
      }
    }
    return null;
  }

  /** The one of {@code a} and {@code b} that comes first in priority. */
  static Reason first(Reason a, Reason b) {
    return a.ordinal() <= b.ordinal() ? a : b;
  }
}
