package io.meshtrace.context;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How the gateway repairs trace context. Immutable; validated on construction.
 *
 * @param outputFormats formats written on repair / regenerate (non-empty); default w3c + b3multi
 * @param winner the format whose trace id wins when formats disagree; default b3multi
 * @param addRequestId add a random UUID v4 {@code x-request-id} when absent; default true
 * @param edgeSampling what to do with incoming sampling decisions; default trust
 * @param tracestateLimit max length of {@code tracestate} kept, at least 512; default 512
 * @param startTraceWhenAbsent with no usable ids at all, start a trace (true, default) or leave
 *     the request alone and let Envoy start it (false)
 */
public record RepairPolicy(
    Set<PropagationFormat> outputFormats,
    PropagationFormat winner,
    boolean addRequestId,
    EdgeSampling edgeSampling,
    int tracestateLimit,
    boolean startTraceWhenAbsent) {

  public static final int MIN_TRACESTATE_LIMIT = 512;

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
    outputFormats = Set.copyOf(EnumSet.copyOf(outputFormats));
  }

  /** w3c + b3multi out, b3multi wins, x-request-id added, trust, 512, start traces. */
  public static RepairPolicy defaults() {
    return new RepairPolicy(
        EnumSet.of(PropagationFormat.W3C, PropagationFormat.B3_MULTI),
        PropagationFormat.B3_MULTI,
        true,
        EdgeSampling.TRUST,
        MIN_TRACESTATE_LIMIT,
        true);
  }

  public RepairPolicy withOutputFormats(Set<PropagationFormat> formats) {
    return new RepairPolicy(formats, winner, addRequestId, edgeSampling, tracestateLimit, startTraceWhenAbsent);
  }

  public RepairPolicy withWinner(PropagationFormat format) {
    return new RepairPolicy(outputFormats, format, addRequestId, edgeSampling, tracestateLimit, startTraceWhenAbsent);
  }

  public RepairPolicy withAddRequestId(boolean add) {
    return new RepairPolicy(outputFormats, winner, add, edgeSampling, tracestateLimit, startTraceWhenAbsent);
  }

  public RepairPolicy withEdgeSampling(EdgeSampling policy) {
    return new RepairPolicy(outputFormats, winner, addRequestId, policy, tracestateLimit, startTraceWhenAbsent);
  }

  public RepairPolicy withTracestateLimit(int limit) {
    return new RepairPolicy(outputFormats, winner, addRequestId, edgeSampling, limit, startTraceWhenAbsent);
  }

  public RepairPolicy withStartTraceWhenAbsent(boolean start) {
    return new RepairPolicy(outputFormats, winner, addRequestId, edgeSampling, tracestateLimit, start);
  }
}
