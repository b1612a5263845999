package io.meshtrace.context;

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

  /** The value of entry {@code index} as a String (allocates; not for the per-request path). */
  default String valueString(int index) {
    int length = valueLength(index);
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = valueCharAt(index, i);
    }
    return new String(chars);
  }
}
