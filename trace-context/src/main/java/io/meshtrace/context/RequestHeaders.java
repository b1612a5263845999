package io.meshtrace.context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A read-only view of one request's headers, as the gateway received them.
 *
 * <p>Names are lower-case (HTTP/2 and Envoy's ext_proc deliver them so). A name may occur
 * more than once; each occurrence is its own entry, in arrival order. Values are read a
 * character at a time so that an implementation over bytes (ext_proc's {@code raw_value})
 * needs no copy: a byte {@code b} reads as {@code (char) (b & 0xff)}.
 *
 * <pre>{@code
 * index  name           value
 * 0      :path          /productpage
 * 1      x-b3-traceid   80f198ee56343ba864fe8b2a57d3eff7
 * 2      x-b3-sampled   1
 * }</pre>
 */
public interface RequestHeaders {

  /** Number of header entries. */
  int size();

  /** Lower-case name of entry {@code index}. */
  CharSequence name(int index);

  /** Length in chars (or bytes) of the value of entry {@code index}. */
  int valueLength(int index);

  /** Char {@code pos} of the value of entry {@code index}; bytes read as ISO-8859-1. */
  char valueCharAt(int index, int pos);

  /**
   * Chars {@code pos} to {@code pos + 7} of the value of entry {@code index} as the 8 bytes of a
   * {@code long}, the first char in the most significant byte; a char above 0xff reads as 0xff
   * (not ASCII, so every ASCII check fails on it). The caller keeps {@code pos + 8} within
   * {@link #valueLength}. Parsers check and decode 8 chars per step through it; an
   * implementation over bytes should override it with one read of the 8 bytes.
   *
   * <pre>{@code
   * value "80f198ee56343ba8", pos 0  ->  0x3830663139386565L ("80f198ee")
   * }</pre>
   */
  default long valueLong(int index, int pos) {
    long word = 0;
    for (int i = pos, end = pos + Long.BYTES; i < end; i++) {
      char c = valueCharAt(index, i);
      word = (word << 8) | (c > 0xff ? 0xff : c);
    }
    return word;
  }

  /** The value of entry {@code index} as a String (allocates; not for the per-request path). */
  default String valueString(int index) {
    int length = valueLength(index);
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = valueCharAt(index, i);
    }
    return new String(chars);
  }

  /**
   * Headers from a map of name to values (in order). Names are lower-cased; a null or empty
   * value list contributes nothing. Copies the map: meant for tests, tools and SDK code, not
   * for the gateway's per-request path (implement this interface over the request instead).
   */
  static RequestHeaders of(Map<String, List<String>> headers) {
    List<String> names = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
      if (entry.getValue() == null) {
        continue;
      }
      for (String value : entry.getValue()) {
        names.add(entry.getKey().toLowerCase(Locale.ROOT));
        values.add(value == null ? "" : value);
      }
    }
    return new StringRequestHeaders(names.toArray(new String[0]), values.toArray(new String[0]));
  }

  /**
   * Headers from alternating names and values, in order:
   * {@code ofPairs("x-b3-traceid", "463ac35c9f6413ad", "x-b3-sampled", "1")}. Names are
   * lower-cased.
   *
   * @throws IllegalArgumentException when the count is odd or an element is null
   */
  static RequestHeaders ofPairs(String... nameValue) {
    if (nameValue.length % 2 != 0) {
      throw new IllegalArgumentException(
          "nameValue has " + nameValue.length + " elements: must be name, value pairs");
    }
    String[] names = new String[nameValue.length / 2];
    String[] values = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      if (nameValue[2 * i] == null || nameValue[2 * i + 1] == null) {
        throw new IllegalArgumentException("nameValue[" + (nameValue[2 * i] == null ? 2 * i : 2 * i + 1)
            + "] is null: names and values must be non-null");
      }
      names[i] = nameValue[2 * i].toLowerCase(Locale.ROOT);
      values[i] = nameValue[2 * i + 1];
    }
    return new StringRequestHeaders(names, values);
  }
}

/**
 * {@link RequestHeaders} over parallel arrays of names and values, with each value also held as
 * bytes (a char above 0xff as 0xff) for {@link #valueLong}.
 */
final class StringRequestHeaders implements RequestHeaders {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final String[] names;
  private final String[] values;
  private final byte[][] bytes;

  StringRequestHeaders(String[] names, String[] values) {
    this.names = names;
    this.values = values;
    this.bytes = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      String value = values[i];
      byte[] latin1 = new byte[value.length()];
      for (int pos = 0; pos < latin1.length; pos++) {
        char c = value.charAt(pos);
        latin1[pos] = (byte) (c > 0xff ? 0xff : c);
      }
      bytes[i] = latin1;
    }
  }

  @Override
  public int size() {
    return names.length;
  }

  @Override
  public CharSequence name(int index) {
    return names[index];
  }

  @Override
  public int valueLength(int index) {
    return values[index].length();
  }

  @Override
  public char valueCharAt(int index, int pos) {
    return values[index].charAt(pos);
  }

  @Override
  public long valueLong(int index, int pos) {
    return (long) LONGS.get(bytes[index], pos);
  }

  @Override
  public String valueString(int index) {
    return values[index];
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < names.length; i++) {
      out.append(names[i]).append(": ").append(values[i]).append('\n');
    }
    return out.toString();
  }
}
