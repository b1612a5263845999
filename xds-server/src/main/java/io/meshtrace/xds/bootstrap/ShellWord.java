package io.meshtrace.xds.bootstrap;

/**
 * A value written as one POSIX shell word, safe inside a YAML comment: as is when it is plain
 * ({@code meshtrace-gateway}), single-quoted when it holds spaces, quotes, {@code #} or other
 * shell characters ({@code 'a b'}, {@code 'it'\''s'}), and as bash's {@code $'...'} with
 * escapes when it holds characters that would end a comment line or not show (control
 * characters, NEL, U+2028/U+2029, format characters such as U+FEFF): {@code $'a\nb'}.
 */
final class ShellWord {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private ShellWord() {}

  static String quote(String value) {
    if (value.isEmpty()) {
      return "''";
    }
    if (needsEscapes(value)) {
      return escaped(value);
    }
    for (int i = 0; i < value.length(); i++) {
      if (!plain(value.charAt(i))) {
        return "'" + value.replace("'", "'\\''") + "'";
      }
    }
    return value;
  }

  /** Whether {@code value} holds a character that only an escape can show. */
  static boolean needsEscapes(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (invisible(c) || Character.isSurrogate(c) && !pairedAt(value, i)) {
        return true;
      }
      if (Character.isHighSurrogate(c)) {
        i++;
      }
    }
    return false;
  }

  private static boolean plain(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
        || "-_./:@%+=,".indexOf(c) >= 0;
  }

  private static boolean invisible(char c) {
    int type = Character.getType(c);
    return type == Character.CONTROL || type == Character.FORMAT
        || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
  }

  private static boolean pairedAt(String s, int i) {
    char c = s.charAt(i);
    return Character.isHighSurrogate(c) && i + 1 < s.length()
        && Character.isLowSurrogate(s.charAt(i + 1));
  }

  private static String escaped(String value) {
    StringBuilder s = new StringBuilder(value.length() + 8).append("$'");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\n' -> s.append("\\n");
        case '\r' -> s.append("\\r");
        case '\t' -> s.append("\\t");
        case '\\' -> s.append("\\\\");
        case '\'' -> s.append("\\'");
        default -> {
          if (pairedAt(value, i)) {
            s.append(c).append(value.charAt(++i));
          } else if (c < 0x80 && invisible(c)) {
            s.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
          } else if (invisible(c) || Character.isSurrogate(c)) {
            s.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
          } else {
            s.append(c);
          }
        }
      }
    }
    return s.append('\'').toString();
  }
}
