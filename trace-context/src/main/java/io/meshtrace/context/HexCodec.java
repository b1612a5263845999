package io.meshtrace.context;

/**
 * Lower-case hex over header values: validation and decoding into {@code long}s by shifts,
 * encoding into a caller's {@code char[]}. Upper-case hex is not hex here: W3C and B3 both
 * require lower case.
 */
final class HexCodec {

  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private HexCodec() {}

  /** The value of a lower-case hex digit, or -1. */
  static int digit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  /** True when {@code length} chars of entry {@code index} from {@code start} are lower hex. */
  static boolean isLowerHex(RequestHeaders headers, int index, int start, int length) {
    for (int i = start, end = start + length; i < end; i++) {
      if (digit(headers.valueCharAt(index, i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Decodes up to 16 lower hex chars (already checked with {@link #isLowerHex}). */
  static long decode(RequestHeaders headers, int index, int start, int length) {
    long value = 0;
    for (int i = start, end = start + length; i < end; i++) {
      value = (value << 4) | digit(headers.valueCharAt(index, i));
    }
    return value;
  }

  /** Writes {@code value} as 16 lower hex chars at {@code pos}; returns the position after. */
  static int encode(long value, char[] dest, int pos) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      dest[pos++] = DIGITS[(int) (value >>> shift) & 0xf];
    }
    return pos;
  }

  /** Writes the low byte of {@code value} as 2 lower hex chars at {@code pos}. */
  static int encodeByte(int value, char[] dest, int pos) {
    dest[pos++] = DIGITS[(value >>> 4) & 0xf];
    dest[pos++] = DIGITS[value & 0xf];
    return pos;
  }

  static String toHex16(long value) {
    char[] chars = new char[16];
    encode(value, chars, 0);
    return new String(chars);
  }

  static String toHex32(long high, long low) {
    char[] chars = new char[32];
    encode(low, chars, encode(high, chars, 0));
    return new String(chars);
  }
}
