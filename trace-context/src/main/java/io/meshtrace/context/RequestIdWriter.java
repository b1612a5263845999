package io.meshtrace.context;

/**
 * Writes a random UUID version 4 for {@code x-request-id}, 36 chars:
 * {@code 8-4-4-4-12} lower hex, {@code 4} at index 14, variant {@code 8..b} at index 19.
 */
final class RequestIdWriter {
  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  static final int LENGTH = 36;

  private RequestIdWriter() {}

  /** Writes a new UUID, {@link #LENGTH} chars, at {@code pos} of {@code out}; returns the position after. */
  static int uuidV4(IdGenerator ids, byte[] out, int pos) {
    // Zero bits from a faulty generator still give a valid UUID: version and variant are set.
    long high = (ids.nextNonZeroLong() & ~0xf000L) | 0x4000L;
    long low = (ids.nextNonZeroLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    for (int nibble = 15; nibble >= 0; nibble--) {
      if (nibble == 7 || nibble == 3) {
        out[pos++] = '-';
      }
      out[pos++] = (byte) DIGITS[(int) (high >>> (nibble * 4)) & 0xf];
    }
    for (int nibble = 15; nibble >= 0; nibble--) {
      if (nibble == 15 || nibble == 11) {
        out[pos++] = '-';
      }
      out[pos++] = (byte) DIGITS[(int) (low >>> (nibble * 4)) & 0xf];
    }
    return pos;
  }
}
