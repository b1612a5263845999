package io.meshtrace.context;

/**
 * B3 multi-header: the five {@code x-b3-*} headers of one request, parsed field by field.
 *
 * <pre>{@code
 * x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7   16 or 32 lower hex, not zero
 * x-b3-spanid: e457b5a2e4d86bd1                    16 lower hex, not zero
 * x-b3-parentspanid: 05e3ac9a4f6e3b90              16 lower hex, not zero (optional)
 * x-b3-sampled: 1                                  1 or 0 (true/false are legacy)
 * x-b3-flags: 1                                    debug; implies sampled
 * }</pre>
 *
 * <p>Mutable and reused per thread. A field that occurs more than once is invalid.
 */
final class B3MultiCodec {
  static final String TRACE_ID = "x-b3-traceid";
  static final String SPAN_ID = "x-b3-spanid";
  static final String PARENT_SPAN_ID = "x-b3-parentspanid";
  static final String SAMPLED = "x-b3-sampled";
  static final String FLAGS = "x-b3-flags";

  static final int FIELD_TRACE_ID = 0;
  static final int FIELD_SPAN_ID = 1;
  static final int FIELD_PARENT_SPAN_ID = 2;
  static final int FIELD_SAMPLED = 3;
  static final int FIELD_FLAGS = 4;
  static final int FIELD_COUNT = 5;

  final int[] index = new int[FIELD_COUNT];
  final int[] count = new int[FIELD_COUNT];
  /** {@link ParsedContext} status constants, per field. */
  final int[] status = new int[FIELD_COUNT];
  /** ACCEPT or DENY from a usable {@code x-b3-sampled}, else DEFER. */
  SamplingState sampled;
  boolean debug;
  /** One bit per field seen since the last {@link #reset()}. */
  private int seen;

  void reset() {
    // Counts and statuses are only written for fields seen: with none seen they are clean.
    if (seen != 0) {
      for (int i = 0; i < FIELD_COUNT; i++) {
        count[i] = 0;
        status[i] = ParsedContext.ABSENT;
      }
      seen = 0;
    }
    sampled = SamplingState.DEFER;
    debug = false;
  }

  void see(int field, int headerIndex) {
    seen |= 1 << field;
    if (count[field]++ == 0) {
      index[field] = headerIndex;
    }
  }

  boolean present() {
    return seen != 0;
  }

  /** Parses every field seen into {@code out} (which the caller has reset). */
  void parse(RequestHeaders headers, ParsedContext out) {
    if (!present()) {
      return;
    }
    if (count[FIELD_TRACE_ID] != 0) {
      parseTraceId(headers, out);
    }
    if (count[FIELD_SPAN_ID] != 0) {
      out.spanId = parseId(headers, FIELD_SPAN_ID, Reason.B3_SPAN_ID_INVALID, out);
    }
    if (count[FIELD_PARENT_SPAN_ID] != 0) {
      out.parentId = parseId(headers, FIELD_PARENT_SPAN_ID, Reason.B3_PARENT_ID_INVALID, out);
    }
    if (count[FIELD_SAMPLED] != 0) {
      parseSampled(headers, out);
    }
    if (count[FIELD_FLAGS] != 0) {
      parseFlags(headers, out);
    }
    if (debug && (status[FIELD_SAMPLED] == ParsedContext.VALID
        || status[FIELD_SAMPLED] == ParsedContext.REWRITE)) {
      status[FIELD_SAMPLED] = ParsedContext.REWRITE;
      out.note(Reason.B3_SAMPLED_WITH_DEBUG);
    }
    out.sampling = debug ? SamplingState.DEBUG : sampled;

    boolean hasIdFields = count[FIELD_TRACE_ID] != 0 || count[FIELD_SPAN_ID] != 0
        || count[FIELD_PARENT_SPAN_ID] != 0;
    if (count[FIELD_TRACE_ID] == 0 && hasIdFields) {
      out.note(Reason.B3_TRACE_ID_MISSING);
    }
    if (out.hasTraceId && count[FIELD_SPAN_ID] == 0) {
      out.note(Reason.B3_SPAN_ID_MISSING);
    }
    if (!out.hasTraceId) {
      out.spanId = 0;
      out.parentId = 0;
    }
    out.decisionOnly = !hasIdFields && (debug || sampled != SamplingState.DEFER);
    if (!out.hasTraceId && !out.decisionOnly) {
      out.status = ParsedContext.INVALID;
      return;
    }
    boolean allValid = true;
    for (int i = 0; i < FIELD_COUNT; i++) {
      if (status[i] != ParsedContext.ABSENT && status[i] != ParsedContext.VALID) {
        allValid = false;
      }
    }
    boolean complete = out.decisionOnly || (out.hasTraceId && out.spanId != 0);
    out.status = allValid && complete ? ParsedContext.VALID : ParsedContext.REWRITE;
  }

  private void parseTraceId(RequestHeaders headers, ParsedContext out) {
    int i = index[FIELD_TRACE_ID];
    int rawLength = headers.valueLength(i);
    if (count[FIELD_TRACE_ID] == 1 && (rawLength == 16 || rawLength == 32)
        && out.readTraceId(headers, i, 0, rawLength)) {
      // The common case first: a value of exactly 16 or 32 lower hex chars has no whitespace
      // to trim. Anything else takes the general path below.
      out.hasTraceId = true;
      status[FIELD_TRACE_ID] = ParsedContext.VALID;
      return;
    }
    int start = Whitespace.trimStart(headers, i);
    int end = Whitespace.trimEnd(headers, i, start);
    int length = end - start;
    if (count[FIELD_TRACE_ID] != 1 || (length != 16 && length != 32)
        || !out.readTraceId(headers, i, start, length)) {
      fieldInvalid(FIELD_TRACE_ID, Reason.B3_TRACE_ID_INVALID, out);
      return;
    }
    out.hasTraceId = true;
    fieldUsable(FIELD_TRACE_ID, length != rawLength, out);
  }

  /** A 16-hex non-zero id, or 0 (and the field marked invalid). */
  private long parseId(RequestHeaders headers, int field, Reason reason, ParsedContext out) {
    int i = index[field];
    int rawLength = headers.valueLength(i);
    long id;
    if (count[field] == 1 && rawLength == 16 && (id = HexCodec.id16(headers, i, 0)) != 0) {
      // The common case first: exactly 16 lower hex chars, no whitespace to trim.
      status[field] = ParsedContext.VALID;
      return id;
    }
    int start = Whitespace.trimStart(headers, i);
    int end = Whitespace.trimEnd(headers, i, start);
    if (count[field] != 1 || end - start != 16 || (id = HexCodec.id16(headers, i, start)) == 0) {
      fieldInvalid(field, reason, out);
      return 0;
    }
    fieldUsable(field, end - start != rawLength, out);
    return id;
  }

  private void parseSampled(RequestHeaders headers, ParsedContext out) {
    int i = index[FIELD_SAMPLED];
    if (count[FIELD_SAMPLED] == 1 && headers.valueLength(i) == 1) {
      // The common case first: "1" or "0" exactly, nothing to trim.
      char c = headers.valueCharAt(i, 0);
      if (c == '1' || c == '0') {
        sampled = c == '1' ? SamplingState.ACCEPT : SamplingState.DENY;
        status[FIELD_SAMPLED] = ParsedContext.VALID;
        return;
      }
    }
    int start = Whitespace.trimStart(headers, i);
    int end = Whitespace.trimEnd(headers, i, start);
    int length = end - start;
    if (count[FIELD_SAMPLED] != 1) {
      fieldInvalid(FIELD_SAMPLED, Reason.B3_SAMPLED_INVALID, out);
      return;
    }
    if (length == 1) {
      char c = headers.valueCharAt(i, start);
      if (c == '1' || c == '0') {
        sampled = c == '1' ? SamplingState.ACCEPT : SamplingState.DENY;
        fieldUsable(FIELD_SAMPLED, length != headers.valueLength(i), out);
        return;
      }
    } else if (equalsIgnoreCase(headers, i, start, end, "true")) {
      sampled = SamplingState.ACCEPT;
      status[FIELD_SAMPLED] = ParsedContext.REWRITE;
      out.note(Reason.B3_SAMPLED_LEGACY);
      return;
    } else if (equalsIgnoreCase(headers, i, start, end, "false")) {
      sampled = SamplingState.DENY;
      status[FIELD_SAMPLED] = ParsedContext.REWRITE;
      out.note(Reason.B3_SAMPLED_LEGACY);
      return;
    }
    fieldInvalid(FIELD_SAMPLED, Reason.B3_SAMPLED_INVALID, out);
  }

  private void parseFlags(RequestHeaders headers, ParsedContext out) {
    int i = index[FIELD_FLAGS];
    int start = Whitespace.trimStart(headers, i);
    int end = Whitespace.trimEnd(headers, i, start);
    if (count[FIELD_FLAGS] == 1 && end - start == 1 && headers.valueCharAt(i, start) == '1') {
      debug = true;
      fieldUsable(FIELD_FLAGS, end - start != headers.valueLength(i), out);
      return;
    }
    fieldInvalid(FIELD_FLAGS, Reason.B3_FLAGS_INVALID, out);
  }

  private void fieldInvalid(int field, Reason reason, ParsedContext out) {
    status[field] = ParsedContext.INVALID;
    out.note(reason);
  }

  private void fieldUsable(int field, boolean trimmed, ParsedContext out) {
    if (trimmed) {
      status[field] = ParsedContext.REWRITE;
      out.note(Reason.B3_WHITESPACE);
    } else {
      status[field] = ParsedContext.VALID;
    }
  }

  private static boolean equalsIgnoreCase(
      RequestHeaders headers, int index, int start, int end, String lowerCase) {
    if (end - start != lowerCase.length()) {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = headers.valueCharAt(index, i);
      if (c >= 'A' && c <= 'Z') {
        c = (char) (c + ('a' - 'A'));
      }
      if (c != lowerCase.charAt(i - start)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes the {@code x-b3-traceid} value, 16 or 32 lower hex, at {@code pos} of {@code out};
   * returns the position after.
   */
  static int writeTraceId(long high, long low, int width, byte[] out, int pos) {
    return HexCodec.encode(low, out, width == 16 ? pos : HexCodec.encode(high, out, pos));
  }
}
