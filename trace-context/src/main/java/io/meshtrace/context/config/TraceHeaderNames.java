package io.meshtrace.context.config;

import java.util.List;

/**
 * The header names the repair engine reads and writes, lower case: W3C Trace Context, B3 single
 * and multi, Envoy's {@code x-request-id} and the OpenTracing header Envoy's Lightstep tracer
 * used. As OpenTelemetry's {@code TextMapPropagator.fields()} and brave's
 * {@code Propagation.keys()}: what a proxy must not forward as ordinary headers and what a
 * configured header name must not collide with.
 */
public final class TraceHeaderNames {

  private static final List<String> FIELDS = List.of(
      "traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid",
      "x-b3-sampled", "x-b3-flags", "x-request-id", "x-ot-span-context");

  private TraceHeaderNames() {}

  /** Every name, lower case, in a fixed order. */
  public static List<String> fields() {
    return FIELDS;
  }

  /** Whether {@code lowerCaseName} is one of {@link #fields()}. */
  public static boolean contains(String lowerCaseName) {
    return FIELDS.contains(lowerCaseName);
  }
}
