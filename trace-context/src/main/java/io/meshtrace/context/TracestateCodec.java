package io.meshtrace.context;

/**
 * W3C {@code tracestate}: member grammar, the 32-member limit, repeated keys, joining and
 * truncation.
 *
 * <pre>{@code
 * tracestate: congo=t61rcWkgMzE, rojo=00f067aa0ba902b7, tenant@vendor=x, foo@@bar=1
 *   key     = (lcalpha / DIGIT) 0*255keychar
 *   keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
 *   value   = 0*255(%x20-2B / %x2D-3C / %x3E-7E) last char not a space
 * }</pre>
 *
 * <p>The key grammar is the one W3C Trace Context publishes now: up to 256 chars, {@code @}
 * anywhere after the first char ({@code foo@}, {@code foo@@bar}); the older tenant@system
 * form with its 241/14-char limits is a special case of it, not a separate rule.
 *
 * <p>Members are separated by {@code ,} with optional spaces and tabs; empty members are
 * allowed and not counted. More than {@value #MAX_MEMBERS} members as received make the value
 * invalid. A key that occurs again is not invalid: the first member with that key is kept and
 * the later ones are dropped (the spec lets a vendor discard duplicates).
 */
final class TracestateCodec {
  static final String NAME = "tracestate";
  static final int MAX_MEMBERS = 32;
  /** Members longer than this go first when truncating. */
  static final int LONG_MEMBER = 128;

  private static final int MAX_KEY = 256;
  private static final int MAX_VALUE = 256;

  /**
   * Where the kept members of one value are (the first member of each key), and a hash of
   * each key so that a repeated key is found without allocating: fixed-size, reused per
   * thread.
   */
  static final class Members {
    /** Start of each kept member (its key), end of its key ({@code =}) and end of its value. */
    final int[] starts = new int[MAX_MEMBERS];
    final int[] keyEnds = new int[MAX_MEMBERS];
    final int[] ends = new int[MAX_MEMBERS];
    final int[] keyHashes = new int[MAX_MEMBERS];
    /** Members the last {@link TracestateCodec#scan} dropped because their key came earlier. */
    int duplicates;
    /** Hash of the key {@link #scanKey} read last. */
    private int keyHash;
  }

  /** Char classes of ASCII, indexed by char; chars above 0x7f are in no class. */
  private static final byte[] CLASSES = new byte[128];
  /** {@code keychar}, {@code lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"}: after the first. */
  private static final int KEY = 1;
  /** {@code lcalpha / DIGIT}: the first char of a key. */
  private static final int KEY_START = 2;
  /** {@code %x21-2B / %x2D-3C / %x3E-7E}: a value char other than a space. */
  private static final int VALUE_NOT_SPACE = 8;

  static {
    for (int c = 0x21; c <= 0x7e; c++) {
      if (c != ',' && c != '=') {
        CLASSES[c] |= VALUE_NOT_SPACE;
      }
    }
    for (int c = 'a'; c <= 'z'; c++) {
      CLASSES[c] |= KEY | KEY_START;
    }
    for (int c = '0'; c <= '9'; c++) {
      CLASSES[c] |= KEY | KEY_START;
    }
    for (char c : new char[] {'_', '-', '*', '/', '@'}) {
      CLASSES[c] |= KEY;
    }
  }

  private TracestateCodec() {}

  private static int classOf(char c) {
    return c < CLASSES.length ? CLASSES[c] : 0;
  }

  /**
   * Validates entry {@code index} in one pass and records the bounds of the first member of
   * each key (without surrounding whitespace) in {@code out}, in order; a later member with a
   * key seen before is counted in {@code out.duplicates} and not recorded. Returns the number
   * of members recorded, or -1 when the value breaks the grammar or has more than
   * {@value #MAX_MEMBERS} members. Each char is read once (a key's chars a second time only
   * when its hash equals an earlier key's), and classified by one table lookup.
   */
  static int scan(RequestHeaders headers, int index, Members out) {
    out.duplicates = 0;
    int length = headers.valueLength(index);
    int pos = 0;
    int seen = 0;
    int kept = 0;
    while (pos < length) {
      char c = headers.valueCharAt(index, pos);
      if (c == ',' || c == ' ' || c == '\t') {
        pos++;
        continue;
      }
      if (seen == MAX_MEMBERS) {
        return -1;
      }
      seen++;
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
      if (isRepeat(headers, index, out, kept, keyHash, memberStart, keyEnd)) {
        // The rest of the value must still fit the grammar: keep scanning, record nothing.
        out.duplicates++;
        continue;
      }
      out.starts[kept] = memberStart;
      out.keyEnds[kept] = keyEnd;
      out.ends[kept] = valueEnd;
      out.keyHashes[kept] = keyHash;
      kept++;
    }
    return kept;
  }

  /** True when one of the {@code kept} members recorded so far has the key {@code [start, end)}. */
  private static boolean isRepeat(RequestHeaders headers, int index, Members out, int kept,
      int keyHash, int start, int end) {
    for (int m = 0; m < kept; m++) {
      if (out.keyHashes[m] == keyHash
          && sameKey(headers, index, out.starts[m], out.keyEnds[m], start, end)) {
        return true;
      }
    }
    return false;
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
   * Returns the position after the key starting at {@code pos}, or -1 when no key of at most
   * {@value #MAX_KEY} chars starts there; leaves the key's hash in {@code out.keyHash}.
   */
  private static int scanKey(RequestHeaders headers, int index, int pos, int length, Members out) {
    char first = headers.valueCharAt(index, pos);
    if ((classOf(first) & KEY_START) == 0) {
      return -1;
    }
    int hash = first;
    int limit = Math.min(length, pos + MAX_KEY);
    pos++;
    char c;
    while (pos < limit && (classOf(c = headers.valueCharAt(index, pos)) & KEY) != 0) {
      hash = 31 * hash + c;
      pos++;
    }
    out.keyHash = hash;
    // A key char right after the limit means a key of more than MAX_KEY chars.
    return pos < length && (classOf(headers.valueCharAt(index, pos)) & KEY) != 0 ? -1 : pos;
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
