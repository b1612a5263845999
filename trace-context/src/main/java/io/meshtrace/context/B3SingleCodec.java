package io.meshtrace.context;

/**
 * B3 single header: parse and write.
 *
 * <pre>{@code
 * b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90
 *     {traceid: 16 or 32 hex}-{spanid: 16 hex}[-{sampling: 0|1|d}[-{parentspanid: 16 hex}]]
 * b3: 0 | 1 | d        (a decision without ids)
 * }</pre>
 */
final class B3SingleCodec {
  static final String NAME = "b3";

  private static final int SPAN_ID_LENGTH = 16;
  /** The longest value written: 32-hex trace id, span id, decision and parent id. */
  static final int MAX_LENGTH = 32 + 1 + SPAN_ID_LENGTH + 2 + 1 + SPAN_ID_LENGTH;

  private B3SingleCodec() {}

  /** Parses entry {@code index} into {@code out} (which the caller has reset). */
  static void parse(RequestHeaders headers, int index, ParsedContext out) {
    int start = Whitespace.trimStart(headers, index);
    int end = Whitespace.trimEnd(headers, index, start);
    int length = end - start;
    if (length == 1) {
      SamplingState decision = decision(headers.valueCharAt(index, start));
      if (decision == null) {
        invalid(out);
        return;
      }
      out.decisionOnly = true;
      out.sampling = decision;
      accept(out, length, headers.valueLength(index));
      return;
    }
    int width;
    if (length >= 16 + 1 + SPAN_ID_LENGTH && headers.valueCharAt(index, start + 16) == '-') {
      width = 16;
    } else if (length >= 32 + 1 + SPAN_ID_LENGTH && headers.valueCharAt(index, start + 32) == '-') {
      width = 32;
    } else {
      invalid(out);
      return;
    }
    int spanOffset = start + width + 1;
    long span = HexCodec.id16(headers, index, spanOffset);
    if (!out.readTraceId(headers, index, start, width) || span == 0) {
      invalid(out);
      return;
    }
    int pos = spanOffset + SPAN_ID_LENGTH;
    SamplingState sampling = SamplingState.DEFER;
    long parent = 0;
    if (pos != end) {
      // "-{sampling}" then optionally "-{parentspanid}"
      if (end - pos < 2 || headers.valueCharAt(index, pos) != '-') {
        invalid(out);
        return;
      }
      sampling = decision(headers.valueCharAt(index, pos + 1));
      if (sampling == null) {
        invalid(out);
        return;
      }
      pos += 2;
      if (pos != end) {
        if (end - pos != 1 + SPAN_ID_LENGTH || headers.valueCharAt(index, pos) != '-') {
          invalid(out);
          return;
        }
        parent = HexCodec.id16(headers, index, pos + 1);
        if (parent == 0) {
          invalid(out);
          return;
        }
      }
    }
    out.hasTraceId = true;
    out.spanId = span;
    out.parentId = parent;
    out.sampling = sampling;
    accept(out, length, headers.valueLength(index));
  }

  private static void accept(ParsedContext out, int trimmedLength, int rawLength) {
    if (trimmedLength != rawLength) {
      out.status = ParsedContext.REWRITE;
      out.note(Reason.B3_WHITESPACE);
    } else {
      out.status = ParsedContext.VALID;
    }
  }

  private static SamplingState decision(char c) {
    switch (c) {
      case '0':
        return SamplingState.DENY;
      case '1':
        return SamplingState.ACCEPT;
      case 'd':
        return SamplingState.DEBUG;
      default:
        return null;
    }
  }

  private static void invalid(ParsedContext out) {
    out.status = ParsedContext.INVALID;
    out.note(Reason.B3_SINGLE_INVALID);
  }

  static char decisionChar(SamplingState sampling) {
    switch (sampling) {
      case ACCEPT:
        return '1';
      case DENY:
        return '0';
      case DEBUG:
        return 'd';
      default:
        throw new IllegalArgumentException("no b3 char for " + sampling);
    }
  }

  /**
   * Writes {@code {traceid}-{spanid}[-{sampling}[-{parentspanid}]]} at {@code pos} of
   * {@code out} (room for {@link #MAX_LENGTH} bytes); returns the position after. The parent is
   * written only with a decision, as the grammar requires.
   */
  static int write(long traceHigh, long traceLow, int traceWidth, long spanId,
      SamplingState sampling, long parentId, byte[] out, int pos) {
    boolean withDecision = sampling != SamplingState.DEFER;
    boolean withParent = withDecision && parentId != 0;
    if (traceWidth == 32) {
      pos = HexCodec.encode(traceHigh, out, pos);
    }
    pos = HexCodec.encode(traceLow, out, pos);
    out[pos++] = '-';
    pos = HexCodec.encode(spanId, out, pos);
    if (withDecision) {
      out[pos++] = '-';
      out[pos++] = (byte) decisionChar(sampling);
    }
    if (withParent) {
      out[pos++] = '-';
      pos = HexCodec.encode(parentId, out, pos);
    }
    return pos;
  }

  /** The decision-only form: {@code 0}, {@code 1} or {@code d}. */
  static String writeDecision(SamplingState sampling) {
    switch (sampling) {
      case ACCEPT:
        return "1";
      case DENY:
        return "0";
      case DEBUG:
        return "d";
      default:
        throw new IllegalArgumentException("no b3 decision for " + sampling);
    }
  }
}
