package io.meshtrace.context;

/**
 * The trace context one format carried in a request: 128-bit trace id as two longs, 64-bit
 * span and parent ids (each 64 bits in {@link HexCodec}'s id form: compared, not computed with;
 * 0 when absent or invalid), the sampling decision, and for W3C the flags.
 * Mutable and reused per thread so that the pass path allocates nothing.
 */
final class ParsedContext {
  /** The format's headers are not in the request. */
  static final int ABSENT = 0;
  /** Present, valid, written exactly as it would be written: nothing to change. */
  static final int VALID = 1;
  /** Present and usable, but must be rewritten (whitespace, legacy values, flags, version). */
  static final int REWRITE = 2;
  /** Present and unusable. */
  static final int INVALID = 3;

  int status;
  /** The trace id is valid (span id may still be missing: B3 multi). */
  boolean hasTraceId;
  /** A decision is carried without ids (B3 {@code b3: 1}, lone {@code x-b3-sampled}). */
  boolean decisionOnly;
  long traceHigh;
  long traceLow;
  /** 16 or 32: the width the trace id arrived in (B3 keeps 16-hex ids at 16). */
  int traceWidth;
  long spanId;
  long parentId;
  SamplingState sampling;
  /** W3C flags as kept: bits 0 and 1 only. */
  int w3cFlags;
  /** The main problem of this format, or {@link Reason#NONE}. */
  Reason problem;

  /** Written since the last {@link #reset()}: an unused context need not be reset again. */
  boolean used = true;

  /** {@link #reset()} when a parse wrote into this context since the last reset. */
  void resetIfUsed() {
    if (used) {
      reset();
    }
  }

  void reset() {
    used = false;
    status = ABSENT;
    hasTraceId = false;
    decisionOnly = false;
    traceHigh = 0;
    traceLow = 0;
    traceWidth = 32;
    spanId = 0;
    parentId = 0;
    sampling = SamplingState.DEFER;
    w3cFlags = 0;
    problem = Reason.NONE;
  }

  void note(Reason reason) {
    problem = Reason.first(problem, reason);
  }

  /**
   * Reads a {@code width}-char (16 or 32) lower-hex trace id from {@code start} of entry
   * {@code index} into {@link #traceHigh}, {@link #traceLow} and {@link #traceWidth} (a 16-hex
   * id has a zero high half); false when a char is not lower hex or the id is all zeros. Does not
   * set {@link #hasTraceId}: the caller does, once the rest of its header is valid.
   */
  boolean readTraceId(RequestHeaders headers, int index, int start, int width) {
    // Each id char is read once, 8 chars per step: checked together, then packed (HexCodec).
    long trace0 = width == 32 ? headers.valueLong(index, start) : HexCodec.ZEROS;
    long trace1 = width == 32 ? headers.valueLong(index, start + 8) : HexCodec.ZEROS;
    long trace2 = headers.valueLong(index, start + width - 16);
    long trace3 = headers.valueLong(index, start + width - 8);
    if ((HexCodec.notHex(trace0) | HexCodec.notHex(trace1) | HexCodec.notHex(trace2)
        | HexCodec.notHex(trace3)) != 0) {
      return false;
    }
    traceHigh = HexCodec.id(trace0, trace1);
    traceLow = HexCodec.id(trace2, trace3);
    traceWidth = width;
    return traceHigh != 0 || traceLow != 0;
  }

  boolean sameTrace(long high, long low) {
    return hasTraceId && traceHigh == high && traceLow == low;
  }
}
