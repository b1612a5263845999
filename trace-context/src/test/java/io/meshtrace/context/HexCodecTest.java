package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The word-wise hex check against a char-by-char reference: every char value at every one of
 * the 8 positions, then random words, through both the default {@code valueLong} (over
 * {@code valueCharAt}) and the byte-array one of {@code RequestHeaders.ofPairs}; and the id form
 * against the numeric value: text to id to text, number to id to text.
 */
class HexCodecTest {

  /** True when all 8 chars are lower hex. */
  private static boolean reference(CharSequence chars) {
    for (int i = 0; i < 8; i++) {
      char c = chars.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static void assertChecks(String value) {
    boolean expected = reference(value);
    RequestHeaders bytes = RequestHeaders.ofPairs("x-b3-spanid", value);
    RequestHeaders chars = new CharsOnly(value);
    assertThat(HexCodec.notHex(bytes.valueLong(0, 0)) == 0).as("bytes of %s", value).isEqualTo(expected);
    assertThat(HexCodec.notHex(chars.valueLong(0, 0)) == 0).as("chars of %s", value).isEqualTo(expected);
  }

  /** The 16 chars of {@code hex} through the id form and back, and against the numeric value. */
  private static void assertRoundTrip(String hex) {
    RequestHeaders headers = RequestHeaders.ofPairs("x-b3-spanid", hex);
    long id = HexCodec.id(headers.valueLong(0, 0), headers.valueLong(0, 8));
    assertThat(HexCodec.toHex16(id)).isEqualTo(hex);
    assertThat(id).as("id of %s", hex).isEqualTo(HexCodec.fromNumber(Long.parseUnsignedLong(hex, 16)));
    assertThat(id == 0).isEqualTo(hex.equals("0000000000000000"));
  }

  @Test
  void notHex_everyCharAtEveryPosition_matchesReference() {
    char[] base = "0af76519".toCharArray();
    for (int pos = 0; pos < 8; pos++) {
      for (int c = 0; c <= 0x17f; c++) {
        char[] chars = base.clone();
        chars[pos] = (char) c;
        assertChecks(new String(chars));
      }
      for (char c : new char[] {'\u0130', '\u0161', '\uff10', '\ud83d'}) {
        char[] chars = base.clone();
        chars[pos] = c;
        assertChecks(new String(chars));
      }
    }
  }

  @Test
  void notHex_randomWords_matchesReference() {
    SplittableRandom random = new SplittableRandom(15);
    String alphabet = "0123456789abcdefABCDEFgz-/: \t\u00ff\u0080\u00b0\u0130";
    for (int n = 0; n < 200_000; n++) {
      char[] chars = new char[8];
      boolean allHex = random.nextInt(4) != 0;
      for (int i = 0; i < 8; i++) {
        chars[i] = allHex ? "0123456789abcdef".charAt(random.nextInt(16))
            : alphabet.charAt(random.nextInt(alphabet.length()));
      }
      assertChecks(new String(chars));
    }
  }

  @Test
  void id_textAndNumber_roundTrip() {
    assertRoundTrip("0000000000000000");
    assertRoundTrip("ffffffffffffffff");
    assertRoundTrip("0123456789abcdef");
    assertRoundTrip("e457b5a2e4d86bd1");
    assertThat(HexCodec.id(0x3031323334353637L, 0x3839616263646566L)).isEqualTo(0x08192a3b4c5d6e7fL);
    SplittableRandom random = new SplittableRandom(16);
    for (int n = 0; n < 100_000; n++) {
      long value = random.nextLong();
      String hex = String.format("%016x", value);
      assertRoundTrip(hex);
      assertThat(HexCodec.toHex16(HexCodec.fromNumber(value))).isEqualTo(hex);
    }
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
