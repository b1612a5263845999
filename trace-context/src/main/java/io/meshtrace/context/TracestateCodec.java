package io.meshtrace.context;

/**
 * W3C {@code tracestate}: member grammar, the 32-member limit, joining and truncation.
 *
 * <pre>{@code
 * tracestate: congo=t61rcWkgMzE, rojo=00f067aa0ba902b7, tenant@vendor=x
 *   key   = lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")
 *         / (lcalpha / DIGIT) 0*240(...) "@" lcalpha 0*13(...)
 *   value = 0*255(%x20-2B / %x2D-3C / %x3E-7E) last char not a space
 * }</pre>
 *
 * <p>Members are separated by {@code ,} with optional spaces and tabs; empty members are
 * allowed and not counted. Keys are unique: a repeated key makes the whole value invalid
 * (W3C Trace Context, "tracestate": keys must be unique within the list).
 */
final class TracestateCodec {
  static final String NAME = "tracestate";
  static final int MAX_MEMBERS = 32;
  /** Members longer than this go first when truncating. */
  static final int LONG_MEMBER = 128;

  private static final int MAX_SIMPLE_KEY = 256;
  private static final int MAX_TENANT_ID = 241;
  private static final int MAX_SYSTEM_ID = 14;
  private static final int MAX_VALUE = 256;

  /**
   * Where the members of one value are, and a hash of each key so that a repeated key is
   * found without allocating: fixed-size, reused per thread.
   */
  static final class Members {
    /** Start of each member (its key), end of its key ({@code =}) and end of its value. */
    final int[] starts = new int[MAX_MEMBERS];
    final int[] keyEnds = new int[MAX_MEMBERS];
    final int[] ends = new int[MAX_MEMBERS];
    final int[] keyHashes = new int[MAX_MEMBERS];
    /** Hash of the key {@link #scanKey} read last. */
    private int keyHash;
  }

  private TracestateCodec() {}

  /**
   * Validates entry {@code index} in one pass and records the bounds of each non-empty member
   * (without surrounding whitespace) in {@code out}. Returns the member count, or -1 when the
   * value breaks the grammar, repeats a key or has more than {@value #MAX_MEMBERS} members.
   */
  static int scan(RequestHeaders headers, int index, Members out) {
    int length = headers.valueLength(index);
    int pos = 0;
    int members = 0;
    while (pos < length) {
      char c = headers.valueCharAt(index, pos);
      if (Whitespace.isOws(c)) {
        pos++;
        continue;
      }
      if (c == ',') {
        pos++;
        continue;
      }
      if (members == MAX_MEMBERS) {
        return -1;
      }
      int memberStart = pos;
      pos = scanKey(headers, index, pos, length, out);
      if (pos < 0 || pos >= length || headers.valueCharAt(index, pos) != '=') {
        return -1;
      }
      int keyEnd = pos;
      int keyHash = out.keyHash;
      pos++;
      int valueStart = pos;
      while (pos < length) {
        c = headers.valueCharAt(index, pos);
        if (c == ',') {
          break;
        }
        if ((c < 0x20 || c > 0x7e || c == '=') && c != '\t') {
          return -1;
        }
        pos++;
      }
      int valueEnd = pos;
      while (valueEnd > valueStart && Whitespace.isOws(headers.valueCharAt(index, valueEnd - 1))) {
        valueEnd--;
      }
      if (valueEnd == valueStart || valueEnd - valueStart > MAX_VALUE) {
        return -1;
      }
      for (int i = valueStart; i < valueEnd; i++) {
        if (headers.valueCharAt(index, i) == '\t') {
          return -1;
        }
      }
      for (int m = 0; m < members; m++) {
        if (out.keyHashes[m] == keyHash
            && sameKey(headers, index, out.starts[m], out.keyEnds[m], memberStart, keyEnd)) {
          return -1;
        }
      }
      out.starts[members] = memberStart;
      out.keyEnds[members] = keyEnd;
      out.ends[members] = valueEnd;
      out.keyHashes[members] = keyHash;
      members++;
    }
    return members;
  }

  private static boolean sameKey(
      RequestHeaders headers, int index, int start, int end, int otherStart, int otherEnd) {
    if (end - start != otherEnd - otherStart) {
      return false;
    }
    for (int i = 0; i < end - start; i++) {
      if (headers.valueCharAt(index, start + i) != headers.valueCharAt(index, otherStart + i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns the position after the key starting at {@code pos}, or -1; leaves the key's hash
   * in {@code out.keyHash}.
   */
  private static int scanKey(RequestHeaders headers, int index, int pos, int length, Members out) {
    int start = pos;
    char first = headers.valueCharAt(index, pos);
    boolean firstIsAlpha = first >= 'a' && first <= 'z';
    if (!firstIsAlpha && !(first >= '0' && first <= '9')) {
      return -1;
    }
    int hash = first;
    pos++;
    while (pos < length) {
      char c = headers.valueCharAt(index, pos);
      if (!isKeyChar(c)) {
        break;
      }
      hash = 31 * hash + c;
      pos++;
    }
    if (pos < length && headers.valueCharAt(index, pos) == '@') {
      if (pos - start > MAX_TENANT_ID) {
        return -1;
      }
      hash = 31 * hash + '@';
      pos++;
      int systemStart = pos;
      if (pos >= length) {
        return -1;
      }
      char c = headers.valueCharAt(index, pos);
      if (c < 'a' || c > 'z') {
        return -1;
      }
      while (pos < length) {
        c = headers.valueCharAt(index, pos);
        if (!isKeyChar(c)) {
          break;
        }
        hash = 31 * hash + c;
        pos++;
      }
      out.keyHash = hash;
      return pos - systemStart > MAX_SYSTEM_ID ? -1 : pos;
    }
    out.keyHash = hash;
    return firstIsAlpha && pos - start <= MAX_SIMPLE_KEY ? pos : -1;
  }

  private static boolean isKeyChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '_' || c == '-' || c == '*' || c == '/';
  }

  /**
   * The members joined with {@code ,} without whitespace, truncated to at most {@code limit}
   * chars by whole members (first those over {@value #LONG_MEMBER} chars, from the right, then
   * from the right); null when nothing is left.
   */
  static String normalize(
      RequestHeaders headers, int index, int[] starts, int[] ends, int members, int limit) {
    boolean[] dropped = new boolean[members];
    int kept = members;
    int total = -1;
    for (int m = 0; m < members; m++) {
      total += ends[m] - starts[m] + 1;
    }
    for (int m = members - 1; m >= 0 && total > limit; m--) {
      if (ends[m] - starts[m] > LONG_MEMBER) {
        dropped[m] = true;
        kept--;
        total -= ends[m] - starts[m] + 1;
      }
    }
    for (int m = members - 1; m >= 0 && total > limit; m--) {
      if (!dropped[m]) {
        dropped[m] = true;
        kept--;
        total -= ends[m] - starts[m] + 1;
      }
    }
    if (kept == 0) {
      return null;
    }
    char[] out = new char[total];
    int pos = 0;
    for (int m = 0; m < members; m++) {
      if (dropped[m]) {
        continue;
      }
      if (pos != 0) {
        out[pos++] = ',';
      }
      for (int i = starts[m]; i < ends[m]; i++) {
        out[pos++] = headers.valueCharAt(index, i);
      }
    }
    return new String(out);
  }
}
