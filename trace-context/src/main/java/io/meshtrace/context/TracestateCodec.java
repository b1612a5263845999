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

  /** Char classes of ASCII, indexed by char; chars above 0x7f are in no class. */
  private static final byte[] CLASSES = new byte[128];
  /** {@code lcalpha / DIGIT / "_" / "-" / "*" / "/"}: any key char after the first. */
  private static final int KEY = 1;
  /** {@code lcalpha}: the first char of a simple key and of a system id. */
  private static final int LCALPHA = 2;
  /** {@code lcalpha / DIGIT}: the first char of a key. */
  private static final int KEY_START = 4;
  /** {@code %x21-2B / %x2D-3C / %x3E-7E}: a value char other than a space. */
  private static final int VALUE_NOT_SPACE = 8;

  static {
    for (int c = 0x21; c <= 0x7e; c++) {
      if (c != ',' && c != '=') {
        CLASSES[c] |= VALUE_NOT_SPACE;
      }
    }
    for (int c = 'a'; c <= 'z'; c++) {
      CLASSES[c] |= KEY | LCALPHA | KEY_START;
    }
    for (int c = '0'; c <= '9'; c++) {
      CLASSES[c] |= KEY | KEY_START;
    }
    for (char c : new char[] {'_', '-', '*', '/'}) {
      CLASSES[c] |= KEY;
    }
  }

  private TracestateCodec() {}

  private static int classOf(char c) {
    return c < CLASSES.length ? CLASSES[c] : 0;
  }

  /**
   * Validates entry {@code index} in one pass and records the bounds of each non-empty member
   * (without surrounding whitespace) in {@code out}. Returns the member count, or -1 when the
   * value breaks the grammar, repeats a key or has more than {@value #MAX_MEMBERS} members.
   * Each char is read once (a key's chars a second time only when its hash equals an earlier
   * key's), and classified by one table lookup.
   */
  static int scan(RequestHeaders headers, int index, Members out) {
    int length = headers.valueLength(index);
    int pos = 0;
    int members = 0;
    while (pos < length) {
      char c = headers.valueCharAt(index, pos);
      if (c == ',' || c == ' ' || c == '\t') {
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
      // One pass: the value ends at ',' or the end; trailing spaces and tabs are not part of
      // it, and a tab before its last char is invalid.
      int valueEnd = valueStart;
      int firstTab = Integer.MAX_VALUE;
      while (pos < length) {
        c = headers.valueCharAt(index, pos);
        if ((classOf(c) & VALUE_NOT_SPACE) != 0) {
          valueEnd = pos + 1;
        } else if (c == ',') {
          break;
        } else if (c == '\t') {
          if (firstTab == Integer.MAX_VALUE) {
            firstTab = pos;
          }
        } else if (c != ' ') {
          return -1;
        }
        pos++;
      }
      if (valueEnd == valueStart || valueEnd - valueStart > MAX_VALUE || firstTab < valueEnd) {
        return -1;
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
    int firstClass = classOf(first);
    if ((firstClass & KEY_START) == 0) {
      return -1;
    }
    int hash = first;
    pos++;
    char c = 0;
    while (pos < length && (classOf(c = headers.valueCharAt(index, pos)) & KEY) != 0) {
      hash = 31 * hash + c;
      pos++;
    }
    if (pos < length && c == '@') {
      if (pos - start > MAX_TENANT_ID) {
        return -1;
      }
      hash = 31 * hash + '@';
      pos++;
      int systemStart = pos;
      if (pos >= length || (classOf(headers.valueCharAt(index, pos)) & LCALPHA) == 0) {
        return -1;
      }
      while (pos < length && (classOf(c = headers.valueCharAt(index, pos)) & KEY) != 0) {
        hash = 31 * hash + c;
        pos++;
      }
      out.keyHash = hash;
      return pos - systemStart > MAX_SYSTEM_ID ? -1 : pos;
    }
    out.keyHash = hash;
    return (firstClass & LCALPHA) != 0 && pos - start <= MAX_SIMPLE_KEY ? pos : -1;
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
