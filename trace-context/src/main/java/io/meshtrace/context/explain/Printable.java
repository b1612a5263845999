package io.meshtrace.context.explain;

/**
 * Text that came from the input, made safe to print: every char outside printable ASCII is
 * written as an escape, so a hostile header value cannot drive the terminal (ESC and CSI
 * sequences that move the cursor, clear the screen or set the window title), reorder what is
 * shown (bidi overrides such as U+202E) or start a line of its own (CR, LF, NEL, U+2028).
 *
 * <p>A tab is written {@code \t}, a backslash {@code \\} (so that an escape in the output always
 * stands for one char of the input), any other control char and DEL as {@code \x} and two
 * hex digits ({@code \x1b} for ESC), and every char above {@code 0x7e} as a backslash, a
 * {@code u} and its four hex digits (one escape per UTF-16 unit: an emoji is two).
 */
final class Printable {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Printable() {}

  /** {@code value} with every char outside {@code 0x20-0x7e} (and the backslash) escaped. */
  static String escape(String value) {
    if (value == null) {
      return "";
    }
    if (isPlain(value)) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() + 16);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\t') {
        out.append("\\t");
      } else if (c == '\\') {
        out.append("\\\\");
      } else if (c < 0x20 || c == 0x7f) {
        out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      } else if (c > 0x7e) {
        out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf])
            .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** {@link #escape(String)} in single quotes, for a value inside a sentence. */
  static String quote(String value) {
    return "'" + escape(value) + "'";
  }

  private static boolean isPlain(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '\\') {
        return false;
      }
    }
    return true;
  }
}
