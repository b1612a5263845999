package io.meshtrace.context;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How the gateway repairs trace context. Immutable; validated on construction.
 *
 * <p><b>Sampling of traces without a decision.</b> When W3C is among the written formats and
 * a request carries no sampling decision on to the mesh (the gateway starts the trace, the
 * incoming B3 context has no {@code x-b3-sampled}/{@code x-b3-flags}, or the edge policy
 * dropped the decision), the gateway decides: sampled with probability
 * {@code newTraceSamplingPercent / 100}, and that one decision is written to every output
 * format ({@code traceparent} flag bit 0, {@code x-b3-sampled: 1/0}, the {@code b3} sampling
 * field). W3C has no "no decision" state, and Envoy's OpenTelemetry tracer follows the
 * {@code traceparent} sampled bit of its parent, so without this a trace the gateway starts
 * would never be recorded in an OpenTelemetry mesh, while B3 readers would sample it: the
 * formats would disagree. Set it to the mesh's random sampling percentage (the HCM
 * {@code tracing.random_sampling}), so traces started at the gateway are sampled as often as
 * those Envoy starts. With B3 outputs only, nothing is decided here: B3 carries no decision
 * and Envoy's Zipkin tracer samples with its own percentage. A valid, complete, agreeing
 * request that carries a decision is never changed by this.
 *
 * @param outputFormats formats written on repair / regenerate (non-empty); default w3c + b3multi
 * @param winner the format whose trace id wins when formats disagree; default b3multi
 * @param addRequestId add a random UUID v4 {@code x-request-id} when absent; default true
 * @param edgeSampling what to do with incoming sampling decisions; default trust
 * @param tracestateLimit max length of {@code tracestate} kept, at least 512; default 512
 * @param startTraceWhenAbsent with no usable ids at all, start a trace (true, default) or leave
 *     the request alone and let Envoy start it (false)
 * @param newTraceSamplingPercent the percentage (0 to 100, fractions allowed) of requests
 *     without a sampling decision that the gateway marks sampled when it writes W3C; default
 *     100. Set it to the mesh's random sampling percentage.
 */
public record RepairPolicy(
    Set<PropagationFormat> outputFormats,
    PropagationFormat winner,
    boolean addRequestId,
    EdgeSampling edgeSampling,
    int tracestateLimit,
    boolean startTraceWhenAbsent,
    double newTraceSamplingPercent) {

  public static final int MIN_TRACESTATE_LIMIT = 512;
  /** Default of {@link #newTraceSamplingPercent()}: every trace without a decision is sampled. */
  public static final double DEFAULT_NEW_TRACE_SAMPLING_PERCENT = 100.0;

  public RepairPolicy {
    Objects.requireNonNull(outputFormats, "outputFormats");
    Objects.requireNonNull(winner, "winner");
    Objects.requireNonNull(edgeSampling, "edgeSampling");
    if (outputFormats.isEmpty()) {
      throw new IllegalArgumentException(
          "outputFormats=[]: must name at least one of w3c, b3multi, b3single");
    }
    if (tracestateLimit < MIN_TRACESTATE_LIMIT) {
      throw new IllegalArgumentException(
          "tracestateLimit=" + tracestateLimit + ": must be at least " + MIN_TRACESTATE_LIMIT);
    }
    if (!(newTraceSamplingPercent >= 0.0 && newTraceSamplingPercent <= 100.0)) {
      throw new IllegalArgumentException(
          "newTraceSamplingPercent=" + newTraceSamplingPercent + ": must be between 0 and 100");
    }
    outputFormats = Set.copyOf(EnumSet.copyOf(outputFormats));
  }

  /**
   * The policy without {@code newTraceSamplingPercent}: it takes the default,
   * {@value #DEFAULT_NEW_TRACE_SAMPLING_PERCENT}.
   */
  public RepairPolicy(
      Set<PropagationFormat> outputFormats,
      PropagationFormat winner,
      boolean addRequestId,
      EdgeSampling edgeSampling,
      int tracestateLimit,
      boolean startTraceWhenAbsent) {
    this(outputFormats, winner, addRequestId, edgeSampling, tracestateLimit, startTraceWhenAbsent,
        DEFAULT_NEW_TRACE_SAMPLING_PERCENT);
  }

  /** w3c + b3multi out, b3multi wins, x-request-id added, trust, 512, start traces, 100 %. */
  public static RepairPolicy defaults() {
    return new RepairPolicy(
        EnumSet.of(PropagationFormat.W3C, PropagationFormat.B3_MULTI),
        PropagationFormat.B3_MULTI,
        true,
        EdgeSampling.TRUST,
        MIN_TRACESTATE_LIMIT,
        true,
        DEFAULT_NEW_TRACE_SAMPLING_PERCENT);
  }

  public RepairPolicy withOutputFormats(Set<PropagationFormat> formats) {
    return new RepairPolicy(formats, winner, addRequestId, edgeSampling, tracestateLimit,
        startTraceWhenAbsent, newTraceSamplingPercent);
  }

  public RepairPolicy withWinner(PropagationFormat format) {
    return new RepairPolicy(outputFormats, format, addRequestId, edgeSampling, tracestateLimit,
        startTraceWhenAbsent, newTraceSamplingPercent);
  }

  public RepairPolicy withAddRequestId(boolean add) {
    return new RepairPolicy(outputFormats, winner, add, edgeSampling, tracestateLimit,
        startTraceWhenAbsent, newTraceSamplingPercent);
  }

  public RepairPolicy withEdgeSampling(EdgeSampling policy) {
    return new RepairPolicy(outputFormats, winner, addRequestId, policy, tracestateLimit,
        startTraceWhenAbsent, newTraceSamplingPercent);
  }

  public RepairPolicy withTracestateLimit(int limit) {
    return new RepairPolicy(outputFormats, winner, addRequestId, edgeSampling, limit,
        startTraceWhenAbsent, newTraceSamplingPercent);
  }

  public RepairPolicy withStartTraceWhenAbsent(boolean start) {
    return new RepairPolicy(outputFormats, winner, addRequestId, edgeSampling, tracestateLimit,
        start, newTraceSamplingPercent);
  }

  /**
   * The percentage (0 to 100, fractions allowed, e.g. {@code 0.5}) of requests without a
   * sampling decision that the gateway marks sampled when it writes W3C; see the type's
   * documentation.
   */
  public RepairPolicy withNewTraceSamplingPercent(double percent) {
    return new RepairPolicy(outputFormats, winner, addRequestId, edgeSampling, tracestateLimit,
        startTraceWhenAbsent, percent);
  }
}
