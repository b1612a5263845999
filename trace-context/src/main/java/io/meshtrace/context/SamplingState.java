package io.meshtrace.context;

/**
 * A sampling decision as B3 expresses it. W3C's {@code traceparent} has one bit: sampled
 * ({@link #ACCEPT} or {@link #DEBUG}) or not ({@link #DENY} or {@link #DEFER}).
 */
enum SamplingState {
  /** No decision: the next tracer decides ({@code x-b3-sampled} absent). */
  DEFER,
  /** {@code x-b3-sampled: 1}, {@code b3: ...-1}, W3C flag bit 0 set. */
  ACCEPT,
  /** {@code x-b3-sampled: 0}, {@code b3: ...-0}. */
  DENY,
  /** {@code x-b3-flags: 1}, {@code b3: ...-d}: forced sampling, implies accept. */
  DEBUG;

  /** The W3C sampled flag (bit 0) for this decision. */
  int w3cSampledBit() {
    return this == ACCEPT || this == DEBUG ? 1 : 0;
  }
}
