package io.meshtrace.context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Lower-case hex over header values: checking and packing 8 chars per step into the engine's
 * id form (below), encoding 8 chars per step into a caller's {@code byte[]}. Upper-case hex is not hex here: W3C and
 * B3 both require lower case.
 */
final class HexCodec {

  /** 8 bytes of a {@code byte[]} as one {@code long}, the first byte most significant. */
  private static final VarHandle WORDS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

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
   * Eight "0" chars as {@link RequestHeaders#valueLong} reads them: each high word of a 16-hex
   * trace id.
   */
  static final long ZEROS = 0x3030303030303030L;

  /** Bit 7 of each byte of a {@code long}. */
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long LOW_NIBBLES = 0x0f0f0f0f0f0f0f0fL;
  private static final long LOW_BITS = 0x0101010101010101L;
  /**
   * Added to each byte {@code b} below 0x80 (no carry into the next byte), these set its bit 7
   * exactly when {@code b >= '0'}, {@code b > '9'}, {@code b >= 'a'}, {@code b > 'f'}.
   */
  private static final long FROM_0 = 0x5050505050505050L;
  private static final long PAST_9 = 0x4646464646464646L;
  private static final long FROM_A = 0x1f1f1f1f1f1f1f1fL;
  private static final long PAST_F = 0x1919191919191919L;

  /*
   * Ids inside the engine. A 64-bit id (a span id, a half of a trace id) is held as its 16
   * lower hex chars packed with byte k holding char k in its high nibble and char k + 8 in its
   * low one: "0123456789abcdef" is 0x08192a3b4c5d6e7f. That is a one-to-one map of the 16-char
   * text onto 64 bits, as the numeric value is, so comparing, testing for zero and drawing at
   * random are the same; it is only cheaper to make from the text. Parsing the numeric value
   * out of two words takes three serial shift-or steps per word; this takes one shift and one
   * or per id. (Measured on 8 words, a B3 single header's 64 hex chars, thread CPU time:
   * 80 ns for the numeric decode, 35 ns for this.) {@link #fromNumber} brings in the ids an
   * {@link IdGenerator} makes, so a generator's value is the id's hex.
   */

  /**
   * 0 when all 8 chars in {@code word} (one per byte, the first most significant, as
   * {@link RequestHeaders#valueLong} reads them) are lower hex, else not 0; no branch. Each
   * byte's range tests are carry-free additions that land in its bit 7. A byte from 0x80 up may
   * carry into its neighbour, but its own clear bit 7 fails the word anyway.
   */
  static long notHex(long word) {
    long digit = (word + FROM_0) & ~(word + PAST_9);
    long letter = (word + FROM_A) & ~(word + PAST_F);
    return ((digit | letter) & ~word & HIGH_BITS) ^ HIGH_BITS;
  }

  /**
   * The id of 16 lower hex chars, chars 0 to 7 in {@code first}, 8 to 15 in {@code second};
   * meaningful when {@link #notHex} is 0 for both. A char's nibble is its low 4 bits, plus 9
   * for a letter (bit 6 set).
   */
  static long id(long first, long second) {
    return (nibbles(first) << 4) | nibbles(second);
  }

  /**
   * The id of the 16 chars from {@code pos} of entry {@code index}, or 0 when one is not lower
   * hex (0 is also the id of sixteen zeros, which no span id may be).
   */
  static long id16(RequestHeaders headers, int index, int pos) {
    long first = headers.valueLong(index, pos);
    long second = headers.valueLong(index, pos + 8);
    return (notHex(first) | notHex(second)) == 0 ? id(first, second) : 0;
  }

  private static long nibbles(long word) {
    long letters = (word >>> 6) & LOW_BITS;
    return (word & LOW_NIBBLES) + (letters << 3) + letters;
  }

  /** The id whose hex is the 16 lower hex digits of {@code value} (see the note above). */
  static long fromNumber(long value) {
    return (spread(value >>> 32) << 4) | spread(value & 0xffffffffL);
  }

  /** The 8 nibbles of a 32-bit value, one per byte, the most significant in the top byte. */
  private static long spread(long value) {
    long x = (value | (value << 16)) & 0x0000ffff0000ffffL;
    x = (x | (x << 8)) & 0x00ff00ff00ff00ffL;
    return (x | (x << 4)) & LOW_NIBBLES;
  }

  /** The value of 2 lower hex chars from {@code start}: 0 to 255, or negative. */
  static int decode2(RequestHeaders headers, int index, int start) {
    char c0 = headers.valueCharAt(index, start);
    char c1 = headers.valueCharAt(index, start + 1);
    return ((NIBBLES[c0 & 0x7f] << 4) | NIBBLES[c1 & 0x7f]) | ((0x7f - (c0 | c1)) >> 31);
  }

  /** Writes the 16 lower hex chars of {@code id} at {@code pos}; returns the position after. */
  static int encode(long id, byte[] dest, int pos) {
    WORDS.set(dest, pos, ascii((id >>> 4) & LOW_NIBBLES));
    WORDS.set(dest, pos + 8, ascii(id & LOW_NIBBLES));
    return pos + 16;
  }

  /**
   * The lower hex char of each nibble in {@code nibbles} (one per byte): {@code '0'} plus the
   * nibble, plus 39 more from 10 up (where adding 6 carries into bit 4), so {@code 'a'} for 10.
   */
  private static long ascii(long nibbles) {
    long letters = ((nibbles + 0x0606060606060606L) >>> 4) & LOW_BITS;
    return nibbles + ZEROS + letters * ('a' - '0' - 10);
  }

  /** Writes the low byte of {@code value} as 2 lower hex chars at {@code pos}. */
  static int encodeByte(int value, byte[] dest, int pos) {
    dest[pos] = (byte) DIGITS[(value >>> 4) & 0xf];
    dest[pos + 1] = (byte) DIGITS[value & 0xf];
    return pos + 2;
  }

  /** The 16 lower hex chars of {@code id} (allocates: for results and tools, not per request). */
  static String toHex16(long id) {
    byte[] bytes = new byte[16];
    encode(id, bytes, 0);
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  /** The 32 lower hex chars of a trace id (allocates, as {@link #toHex16}). */
  static String toHex32(long high, long low) {
    byte[] bytes = new byte[32];
    encode(low, bytes, encode(high, bytes, 0));
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }
}
