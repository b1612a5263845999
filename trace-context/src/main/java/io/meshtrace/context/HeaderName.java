package io.meshtrace.context;

/** Recognises the header names the engine reads, without allocating. */
final class HeaderName {
  static final String REQUEST_ID = "x-request-id";

  static final int OTHER = -1;
  static final int TRACEPARENT = 0;
  static final int TRACESTATE = 1;
  static final int B3_SINGLE = 2;
  static final int REQUEST_ID_KIND = 3;
  /** {@code B3_MULTI_BASE + B3MultiCodec.FIELD_*}. */
  static final int B3_MULTI_BASE = 10;

  /** Where {@code x-b3-*} names differ from each other and from {@code x-request-id}. */
  private static final int B3_PREFIX_CHAR = 2;
  private static final int B3_FIELD_CHAR = 5;

  /**
   * Bit {@code n % 32} set for each length {@code n} of a name read here (2, 10, 11, 12, 17):
   * most names a request carries fail this one test.
   */
  private static final int LENGTHS = (1 << 2) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 17);

  private HeaderName() {}

  /**
   * The kind of header {@code name} is; ASCII case is ignored. A request carries mostly other
   * headers, so each length's candidates are told apart by one char first (or-ing 0x20 folds
   * an upper-case letter, and only pre-selects: the full comparison decides).
   */
  static int kind(CharSequence name) {
    int length = name.length();
    if ((LENGTHS & (1 << length)) == 0) {
      return OTHER;
    }
    switch (length) {
      case 2:
        return matches(name, B3SingleCodec.NAME) ? B3_SINGLE : OTHER;
      case 10: {
        char first = (char) (name.charAt(0) | 0x20);
        if (first == 't') {
          return matches(name, TracestateCodec.NAME) ? TRACESTATE : OTHER;
        }
        return first == 'x' && matches(name, B3MultiCodec.FLAGS)
            ? B3_MULTI_BASE + B3MultiCodec.FIELD_FLAGS : OTHER;
      }
      case 11: {
        char first = (char) (name.charAt(0) | 0x20);
        if (first == 't') {
          return matches(name, TraceparentCodec.NAME) ? TRACEPARENT : OTHER;
        }
        return first == 'x' && matches(name, B3MultiCodec.SPAN_ID)
            ? B3_MULTI_BASE + B3MultiCodec.FIELD_SPAN_ID : OTHER;
      }
      case 12: {
        char prefix = (char) (name.charAt(B3_PREFIX_CHAR) | 0x20);
        if (prefix == 'r') {
          return matches(name, REQUEST_ID) ? REQUEST_ID_KIND : OTHER;
        }
        if (prefix != 'b') {
          return OTHER;
        }
        char field = (char) (name.charAt(B3_FIELD_CHAR) | 0x20);
        if (field == 't') {
          return matches(name, B3MultiCodec.TRACE_ID) ? B3_MULTI_BASE + B3MultiCodec.FIELD_TRACE_ID : OTHER;
        }
        return field == 's' && matches(name, B3MultiCodec.SAMPLED)
            ? B3_MULTI_BASE + B3MultiCodec.FIELD_SAMPLED : OTHER;
      }
      case 17:
        return (name.charAt(B3_PREFIX_CHAR) | 0x20) == 'b' && matches(name, B3MultiCodec.PARENT_SPAN_ID)
            ? B3_MULTI_BASE + B3MultiCodec.FIELD_PARENT_SPAN_ID : OTHER;
      default:
        return OTHER;
    }
  }

  /** Same length as {@code lowerCase} is assumed by the caller. */
  private static boolean matches(CharSequence name, String lowerCase) {
    // Names arrive lower-case (HTTP/2, ext_proc): String.equals is one vectorised compare.
    return lowerCase.equals(name) || matchesIgnoreCase(name, lowerCase);
  }

  private static boolean matchesIgnoreCase(CharSequence name, String lowerCase) {
    for (int i = lowerCase.length() - 1; i >= 0; i--) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        c = (char) (c + ('a' - 'A'));
      }
      if (c != lowerCase.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
