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

  private HeaderName() {}

  /** The kind of header {@code name} is; ASCII case is ignored. */
  static int kind(CharSequence name) {
    switch (name.length()) {
      case 2:
        return matches(name, B3SingleCodec.NAME) ? B3_SINGLE : OTHER;
      case 10:
        if (matches(name, TracestateCodec.NAME)) {
          return TRACESTATE;
        }
        return matches(name, B3MultiCodec.FLAGS) ? B3_MULTI_BASE + B3MultiCodec.FIELD_FLAGS : OTHER;
      case 11:
        if (matches(name, TraceparentCodec.NAME)) {
          return TRACEPARENT;
        }
        return matches(name, B3MultiCodec.SPAN_ID) ? B3_MULTI_BASE + B3MultiCodec.FIELD_SPAN_ID : OTHER;
      case 12:
        if (matches(name, B3MultiCodec.TRACE_ID)) {
          return B3_MULTI_BASE + B3MultiCodec.FIELD_TRACE_ID;
        }
        if (matches(name, B3MultiCodec.SAMPLED)) {
          return B3_MULTI_BASE + B3MultiCodec.FIELD_SAMPLED;
        }
        return matches(name, REQUEST_ID) ? REQUEST_ID_KIND : OTHER;
      case 17:
        return matches(name, B3MultiCodec.PARENT_SPAN_ID)
            ? B3_MULTI_BASE + B3MultiCodec.FIELD_PARENT_SPAN_ID : OTHER;
      default:
        return OTHER;
    }
  }

  /** Same length as {@code lowerCase} is assumed by the caller. */
  private static boolean matches(CharSequence name, String lowerCase) {
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
