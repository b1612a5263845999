package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The word-wise hex decode against a char-by-char reference: every char value at every one of
 * the 8 positions, then random words, through both the default {@code valueLong} (over
 * {@code valueCharAt}) and the byte-array one of {@code RequestHeaders.ofPairs}.
 */
class HexCodecTest {

  /** 0 to 2^32 - 1, or -1 when a char is not lower hex. */
  private static long reference(CharSequence chars) {
    long value = 0;
    for (int i = 0; i < 8; i++) {
      int nibble = Character.digit(chars.charAt(i), 16);
      if (nibble < 0 || Character.isUpperCase(chars.charAt(i)) || chars.charAt(i) > 'f') {
        return -1;
      }
      value = (value << 4) | nibble;
    }
    return value;
  }

  private static void assertDecodes(String value) {
    long expected = reference(value);
    RequestHeaders bytes = RequestHeaders.ofPairs("x-b3-spanid", value);
    RequestHeaders chars = new CharsOnly(value);
    long fromBytes = HexCodec.decode8(bytes, 0, 0);
    long fromChars = HexCodec.decode8(chars, 0, 0);
    if (expected < 0) {
      assertThat(fromBytes).as("bytes of %s", value).isNegative();
      assertThat(fromChars).as("chars of %s", value).isNegative();
    } else {
      assertThat(fromBytes).as("bytes of %s", value).isEqualTo(expected);
      assertThat(fromChars).as("chars of %s", value).isEqualTo(expected);
    }
  }

  @Test
  void decode8_everyCharAtEveryPosition_matchesReference() {
    char[] base = "0af76519".toCharArray();
    for (int pos = 0; pos < 8; pos++) {
      for (int c = 0; c <= 0x17f; c++) {
        char[] chars = base.clone();
        chars[pos] = (char) c;
        assertDecodes(new String(chars));
      }
      for (char c : new char[] {'\u0130', '\u0161', '\uff10', '\ud83d'}) {
        char[] chars = base.clone();
        chars[pos] = c;
        assertDecodes(new String(chars));
      }
    }
  }

  @Test
  void decode8_randomWords_matchesReference() {
    SplittableRandom random = new SplittableRandom(15);
    String alphabet = "0123456789abcdefABCDEFgz-/: \t\u00ff\u0080\u00b0\u0130";
    for (int n = 0; n < 200_000; n++) {
      char[] chars = new char[8];
      boolean allHex = random.nextInt(4) != 0;
      for (int i = 0; i < 8; i++) {
        chars[i] = allHex ? "0123456789abcdef".charAt(random.nextInt(16))
            : alphabet.charAt(random.nextInt(alphabet.length()));
      }
      assertDecodes(new String(chars));
    }
  }

  @Test
  void decode8_extremes_decodeToBounds() {
    assertThat(HexCodec.decode8(RequestHeaders.ofPairs("b3", "00000000"), 0, 0)).isZero();
    assertThat(HexCodec.decode8(RequestHeaders.ofPairs("b3", "ffffffff"), 0, 0)).isEqualTo(0xffffffffL);
    assertThat(HexCodec.decode8(RequestHeaders.ofPairs("b3", "-80f198ee56"), 0, 1)).isEqualTo(0x80f198eeL);
  }

  @Test
  void valueLong_readsCharsAsBigEndianBytes() {
    RequestHeaders headers = RequestHeaders.ofPairs("x-b3-traceid", "80f198ee56343ba8", "b3", "\u0130bcdefgh");
    assertThat(headers.valueLong(0, 0)).isEqualTo(0x3830663139386565L);
    assertThat(headers.valueLong(0, 8)).isEqualTo(new CharsOnly("80f198ee56343ba8").valueLong(0, 8));
    assertThat(headers.valueLong(1, 0)).isEqualTo(0xff62636465666768L);
    assertThat(new CharsOnly("\u0130bcdefgh").valueLong(0, 0)).isEqualTo(0xff62636465666768L);
  }

  /** One header read through {@code valueCharAt} only: the interface's default {@code valueLong}. */
  private static final class CharsOnly implements RequestHeaders {
    private final String value;

    CharsOnly(String value) {
      this.value = value;
    }

    @Override
    public int size() {
      return 1;
    }

    @Override
    public CharSequence name(int index) {
      return "x-b3-spanid";
    }

    @Override
    public int valueLength(int index) {
      return value.length();
    }

    @Override
    public char valueCharAt(int index, int pos) {
      return value.charAt(pos);
    }
  }
}
