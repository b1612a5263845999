package io.meshtrace.context;

/**
 * Writes a random UUID version 4 for {@code x-request-id}, 36 chars:
 * {@code 8-4-4-4-12} lower hex, {@code 4} at index 14, variant {@code 8..b} at index 19.
 */
final class RequestIdWriter {
  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private RequestIdWriter() {}

  static String uuidV4(IdGenerator ids) {
    // Zero bits from a faulty generator still give a valid UUID: version and variant are set.
    long high = (ids.nextNonZeroLong() & ~0xf000L) | 0x4000L;
    long low = (ids.nextNonZeroLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    char[] out = new char[36];
    int pos = 0;
    for (int nibble = 15; nibble >= 0; nibble--) {
      if (nibble == 7 || nibble == 3) {
        out[pos++] = '-';
      }
      out[pos++] = DIGITS[(int) (high >>> (nibble * 4)) & 0xf];
    }
    for (int nibble = 15; nibble >= 0; nibble--) {
      if (nibble == 15 || nibble == 11) {
        out[pos++] = '-';
      }
      out[pos++] = DIGITS[(int) (low >>> (nibble * 4)) & 0xf];
    }
    return new String(out);
  }
}
