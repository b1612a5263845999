package io.meshtrace.context;

/** Optional whitespace (HTTP OWS: space and horizontal tab) around header values. */
final class Whitespace {

  private Whitespace() {}

  static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /** Index of the first char of entry {@code index}'s value that is not OWS. */
  static int trimStart(RequestHeaders headers, int index) {
    int length = headers.valueLength(index);
    int start = 0;
    while (start < length && isOws(headers.valueCharAt(index, start))) {
      start++;
    }
    return start;
  }

  /** One past the last char of entry {@code index}'s value that is not OWS, at least {@code start}. */
  static int trimEnd(RequestHeaders headers, int index, int start) {
    int end = headers.valueLength(index);
    while (end > start && isOws(headers.valueCharAt(index, end - 1))) {
      end--;
    }
    return end;
  }
}
