package io.meshtrace.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.meshtrace.context.RequestHeaders;

/**
 * The headers of an ext_proc {@code HttpHeaders} message read in place, without copying:
 * {@code raw_value} bytes as ISO-8859-1 chars, or the legacy {@code value} string that older
 * Envoys send instead when {@code raw_value} is empty.
 */
final class HeaderMapView implements RequestHeaders {

  private final HeaderMap map;

  HeaderMapView(HeaderMap map) {
    this.map = map;
  }

  @Override
  public int size() {
    return map.getHeadersCount();
  }

  @Override
  public CharSequence name(int index) {
    return map.getHeaders(index).getKey();
  }

  @Override
  public int valueLength(int index) {
    HeaderValue header = map.getHeaders(index);
    ByteString raw = header.getRawValue();
    return raw.isEmpty() ? header.getValue().length() : raw.size();
  }

  @Override
  public char valueCharAt(int index, int pos) {
    HeaderValue header = map.getHeaders(index);
    ByteString raw = header.getRawValue();
    return raw.isEmpty() ? header.getValue().charAt(pos) : (char) (raw.byteAt(pos) & 0xff);
  }

  /** One read of the 8 bytes (or chars of the legacy {@code value}) from {@code pos}. */
  @Override
  public long valueLong(int index, int pos) {
    HeaderValue header = map.getHeaders(index);
    ByteString raw = header.getRawValue();
    long word = 0;
    if (raw.isEmpty()) {
      String value = header.getValue();
      for (int i = pos, end = pos + Long.BYTES; i < end; i++) {
        char c = value.charAt(i);
        word = (word << 8) | (c > 0xff ? 0xff : c);
      }
      return word;
    }
    for (int i = pos, end = pos + Long.BYTES; i < end; i++) {
      word = (word << 8) | (raw.byteAt(i) & 0xff);
    }
    return word;
  }

  /** Bytes of all names and values, as Envoy counts them against its header size limit. */
  long byteSize() {
    return byteSize(null);
  }

  /**
   * {@link #byteSize()}, and in the same pass over the list whether a header is named
   * {@code lowerCaseName} (null: none looked for; ext_proc keys arrive lower-case): negative,
   * {@code -(size + 1)}, when one is.
   */
  long byteSize(String lowerCaseName) {
    long total = 0;
    boolean found = false;
    int size = map.getHeadersCount();
    for (int i = 0; i < size; i++) {
      HeaderValue header = map.getHeaders(i);
      ByteString raw = header.getRawValue();
      String key = header.getKey();
      found |= lowerCaseName != null && lowerCaseName.equals(key);
      total += key.length() + (raw.isEmpty() ? header.getValue().length() : raw.size());
    }
    return found ? -(total + 1) : total;
  }
}
