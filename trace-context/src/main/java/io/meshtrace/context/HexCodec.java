package io.meshtrace.context;

/**
 * Lower-case hex over header values: validation and decoding into {@code long}s by shifts in
 * one pass, encoding into a caller's {@code char[]}. Upper-case hex is not hex here: W3C and
 * B3 both require lower case.
 */
final class HexCodec {

  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  /** Nibble of each ASCII char, or -1: indexed by {@code c & 0x7f} (wider chars are caught apart). */
  private static final byte[] NIBBLES = new byte[128];

  static {
    for (int c = 0; c < NIBBLES.length; c++) {
      NIBBLES[c] = -1;
    }
    for (int d = 0; d < DIGITS.length; d++) {
      NIBBLES[DIGITS[d]] = (byte) d;
    }
  }

  private HexCodec() {}

  /**
   * Validates and decodes 8 lower hex chars of entry {@code index} from {@code start} in one
   * pass: 0 to 2^32 - 1, or negative when a char is not lower hex. No branch per char: once a
   * nibble of -1 (all ones) is or-ed in, the sign bit survives the remaining seven shifts by 4,
   * and the chars are or-ed together to catch any above 0x7f once at the end. (Measured: this
   * loop is faster than shifting each nibble into place and or-ing the eight as a tree.)
   */
  static long decode8(RequestHeaders headers, int index, int start) {
    long value = 0;
    int wide = 0;
    for (int i = start, end = start + 8; i < end; i++) {
      char c = headers.valueCharAt(index, i);
      wide |= c;
      value = (value << 4) | NIBBLES[c & 0x7f];
    }
    return value | ((0x7f - wide) >> 31);
  }

  /** The value of 2 lower hex chars from {@code start}: 0 to 255, or negative. */
  static int decode2(RequestHeaders headers, int index, int start) {
    char c0 = headers.valueCharAt(index, start);
    char c1 = headers.valueCharAt(index, start + 1);
    return ((NIBBLES[c0 & 0x7f] << 4) | NIBBLES[c1 & 0x7f]) | ((0x7f - (c0 | c1)) >> 31);
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
