package io.meshtrace.context;

/**
 * W3C Trace Context Level 2 {@code traceparent}: parse and write.
 *
 * <pre>{@code
 * traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
 *              |  |                                |                |
 *              |  trace id, 32 lower hex, not 0    parent id, 16    flags: bit 0 sampled,
 *              version                             lower hex, not 0 bit 1 random trace id
 * }</pre>
 *
 * <p>Version {@code ff} is invalid. A later version is read by its first 55 chars when the
 * 56th, if any, is {@code -}, and re-emitted as version {@code 00}.
 */
final class TraceparentCodec {
  static final String NAME = "traceparent";

  static final int VERSION_LENGTH = 2;
  static final int TRACE_ID_OFFSET = VERSION_LENGTH + 1;
  static final int TRACE_ID_LENGTH = 32;
  static final int SPAN_ID_OFFSET = TRACE_ID_OFFSET + TRACE_ID_LENGTH + 1;
  static final int SPAN_ID_LENGTH = 16;
  static final int FLAGS_OFFSET = SPAN_ID_OFFSET + SPAN_ID_LENGTH + 1;
  static final int FLAGS_LENGTH = 2;
  static final int LENGTH = FLAGS_OFFSET + FLAGS_LENGTH;

  static final int FLAG_SAMPLED = 0x01;
  static final int FLAG_RANDOM_TRACE_ID = 0x02;
  static final int KNOWN_FLAGS = FLAG_SAMPLED | FLAG_RANDOM_TRACE_ID;

  private TraceparentCodec() {}

  /** Parses entry {@code index} into {@code out} (which the caller has reset). */
  static void parse(RequestHeaders headers, int index, ParsedContext out) {
    int start = Whitespace.trimStart(headers, index);
    int end = Whitespace.trimEnd(headers, index, start);
    int length = end - start;
    if (length < LENGTH) {
      invalid(out, Reason.TRACEPARENT_INVALID);
      return;
    }
    int version = HexCodec.decode2(headers, index, start);
    if (version < 0) {
      invalid(out, Reason.TRACEPARENT_INVALID);
      return;
    }
    if (version == 0xff) {
      invalid(out, Reason.TRACEPARENT_VERSION_FF);
      return;
    }
    if (version == 0 ? length != LENGTH
        : length > LENGTH && headers.valueCharAt(index, start + LENGTH) != '-') {
      invalid(out, Reason.TRACEPARENT_INVALID);
      return;
    }
    long span0 = headers.valueLong(index, start + SPAN_ID_OFFSET);
    long span1 = headers.valueLong(index, start + SPAN_ID_OFFSET + 8);
    int flags = HexCodec.decode2(headers, index, start + FLAGS_OFFSET);
    // A trace id that is not hex and an all-zero one are both invalid; a span id that is not
    // hex too, an all-zero one has its own reason (below), so its words are checked here.
    if (headers.valueCharAt(index, start + TRACE_ID_OFFSET - 1) != '-'
        || headers.valueCharAt(index, start + SPAN_ID_OFFSET - 1) != '-'
        || headers.valueCharAt(index, start + FLAGS_OFFSET - 1) != '-'
        || flags < 0
        || (HexCodec.notHex(span0) | HexCodec.notHex(span1)) != 0
        || !out.readTraceId(headers, index, start + TRACE_ID_OFFSET, TRACE_ID_LENGTH)) {
      invalid(out, Reason.TRACEPARENT_INVALID);
      return;
    }
    long spanId = HexCodec.id(span0, span1);
    if (spanId == 0) {
      // W3C: an all-zero parent id makes the whole traceparent invalid (its test suite expects
      // a new trace id), so the trace id it carries is not continued either.
      invalid(out, Reason.TRACEPARENT_ZERO_PARENT_ID);
      return;
    }
    out.hasTraceId = true;
    out.spanId = spanId;
    out.w3cFlags = flags & KNOWN_FLAGS;
    out.sampling = (flags & FLAG_SAMPLED) != 0 ? SamplingState.ACCEPT : SamplingState.DENY;
    out.status = ParsedContext.VALID;
    if (version != 0) {
      rewrite(out, Reason.TRACEPARENT_FUTURE_VERSION);
    }
    if (length != headers.valueLength(index)) {
      rewrite(out, Reason.TRACEPARENT_WHITESPACE);
    }
    if ((flags & ~KNOWN_FLAGS) != 0) {
      rewrite(out, Reason.TRACEPARENT_FLAGS);
    }
  }

  private static void invalid(ParsedContext out, Reason reason) {
    out.status = ParsedContext.INVALID;
    out.note(reason);
  }

  private static void rewrite(ParsedContext out, Reason reason) {
    out.status = ParsedContext.REWRITE;
    out.note(reason);
  }

  /**
   * Writes {@code 00-{trace}-{span}-{flags}}, {@link #LENGTH} chars, at {@code pos} of
   * {@code out}; returns the position after.
   */
  static int write(long traceHigh, long traceLow, long spanId, int flags, byte[] out, int pos) {
    out[pos] = '0';
    out[pos + 1] = '0';
    out[pos + TRACE_ID_OFFSET - 1] = '-';
    HexCodec.encode(traceLow, out, HexCodec.encode(traceHigh, out, pos + TRACE_ID_OFFSET));
    out[pos + SPAN_ID_OFFSET - 1] = '-';
    HexCodec.encode(spanId, out, pos + SPAN_ID_OFFSET);
    out[pos + FLAGS_OFFSET - 1] = '-';
    HexCodec.encodeByte(flags & KNOWN_FLAGS, out, pos + FLAGS_OFFSET);
    return pos + LENGTH;
  }
}
