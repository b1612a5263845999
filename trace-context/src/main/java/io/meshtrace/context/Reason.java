package io.meshtrace.context;

/**
 * Why the gateway changed a request's trace context: the main problem found. Each reason has
 * a stable kebab-case {@link #code()} used in the {@code x-meshtrace-repair} marker header,
 * metric labels and the {@code explain} output.
 *
 * <p>The list can grow; codes of existing reasons never change.
 */
public enum Reason {
  NONE("none"),
  NO_CONTEXT("no-context"),
  DECISION_ONLY("decision-only"),
  TRACEPARENT_WHITESPACE("traceparent-whitespace"),
  TRACEPARENT_INVALID("traceparent-invalid"),
  TRACEPARENT_REPEATED("traceparent-repeated"),
  TRACEPARENT_VERSION_FF("traceparent-version-ff"),
  TRACEPARENT_FUTURE_VERSION("traceparent-future-version"),
  TRACEPARENT_ZERO_PARENT_ID("traceparent-zero-parent-id"),
  TRACEPARENT_FLAGS("traceparent-flags"),
  TRACESTATE_INVALID("tracestate-invalid"),
  TRACESTATE_TOO_LONG("tracestate-too-long"),
  TRACESTATE_REPEATED("tracestate-repeated"),
  TRACESTATE_ORPHAN("tracestate-orphan"),
  B3_SPAN_ID_MISSING("b3-span-id-missing"),
  B3_SPAN_ID_INVALID("b3-span-id-invalid"),
  B3_TRACE_ID_MISSING("b3-trace-id-missing"),
  B3_TRACE_ID_INVALID("b3-trace-id-invalid"),
  B3_SAMPLED_INVALID("b3-sampled-invalid"),
  B3_PARENT_ID_INVALID("b3-parent-id-invalid"),
  B3_FLAGS_INVALID("b3-flags-invalid"),
  B3_SINGLE_INVALID("b3-single-invalid"),
  FORMATS_DISAGREE("formats-disagree"),
  FORMAT_MISSING("format-missing"),
  SAMPLING_POLICY("sampling-policy"),
  REQUEST_ID_MISSING("request-id-missing");

  private final String code;

  Reason(String code) {
    this.code = code;
  }

  /** Stable kebab-case code, e.g. {@code b3-span-id-missing}. */
  public String code() {
    return code;
  }
}
