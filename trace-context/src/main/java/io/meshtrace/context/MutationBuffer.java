package io.meshtrace.context;

import java.util.Arrays;

/**
 * The header mutations of one repair as they are decided, in two arrays: one {@code int} per
 * mutation (which header, set or remove, where its value ends) and every value set written as
 * ASCII bytes into one growing buffer, so a run makes no {@code String} and no mutation object.
 * Reused per thread ({@link RepairRun}); {@link #result} copies out exactly what the run wrote.
 *
 * <pre>{@code
 * entry   end << 5 | set/remove << 4 | header     the header: an index into NAMES
 * entries (55 << 5 | TRACEPARENT), (71 << 5 | B3_MULTI + FIELD_SPAN_ID)
 * values  00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01e457b5a2e4d86bd1
 * }</pre>
 * A removal adds no bytes; its end is where the previous value ended.
 */
final class MutationBuffer {
  static final int TRACEPARENT = 0;
  static final int TRACESTATE = 1;
  static final int B3 = 2;
  static final int REQUEST_ID = 3;
  /** {@code B3_MULTI + B3MultiCodec.FIELD_*}. */
  static final int B3_MULTI = 4;

  private static final String[] NAMES = {
      TraceparentCodec.NAME, TracestateCodec.NAME, B3SingleCodec.NAME, HeaderName.REQUEST_ID,
      B3MultiCodec.TRACE_ID, B3MultiCodec.SPAN_ID, B3MultiCodec.PARENT_SPAN_ID,
      B3MultiCodec.SAMPLED, B3MultiCodec.FLAGS};

  private static final int HEADER_BITS = 0xf;
  private static final int REMOVE_BIT = 0x10;
  private static final int END_SHIFT = 5;

  private int[] entries = new int[16];
  private byte[] bytes = new byte[512];
  private int count;
  private int length;

  /** The name of an entry's header. */
  static String name(int entry) {
    return NAMES[entry & HEADER_BITS];
  }

  static boolean isRemove(int entry) {
    return (entry & REMOVE_BIT) != 0;
  }

  /** Where an entry's value ends in the values array. */
  static int end(int entry) {
    return entry >>> END_SHIFT;
  }

  void reset() {
    count = 0;
    length = 0;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /** Removes every occurrence of {@code header} (an index: {@link #TRACEPARENT}...). */
  void remove(int header) {
    push(header | REMOVE_BIT, length);
  }

  /** Sets {@code header} to {@code value}, printable ASCII. */
  void set(int header, String value) {
    int n = value.length();
    byte[] out = reserve(n);
    for (int i = 0; i < n; i++) {
      out[length + i] = (byte) value.charAt(i);
    }
    push(header, length + n);
  }

  /**
   * The buffer to write the next value into, from {@link #position()}, with room for
   * {@code max} more bytes; {@link #setWritten} then records it.
   */
  byte[] reserve(int max) {
    if (length + max > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, length + max));
    }
    return bytes;
  }

  int position() {
    return length;
  }

  /** Sets {@code header} to the bytes written from {@link #position()} to {@code end}. */
  void setWritten(int header, int end) {
    push(header, end);
  }

  private void push(int entry, int end) {
    if (count == entries.length) {
      entries = Arrays.copyOf(entries, 2 * count);
    }
    entries[count++] = (end << END_SHIFT) | entry;
    length = end;
  }

  RepairResult result(Verdict verdict, Reason reason, boolean idsWritten, long traceHigh,
      long traceLow, long spanId, boolean samplingDecided) {
    return new RepairResult(verdict, reason, Arrays.copyOf(entries, count),
        Arrays.copyOf(bytes, length), idsWritten, traceHigh, traceLow, spanId, samplingDecided);
  }
}
