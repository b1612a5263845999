package io.meshtrace.extproc;

import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;

/**
 * Which field of {@code HeaderValue} a peer uses for header values. Envoy sends every value of a
 * message in one field and reads mutations from that field only: {@code raw_value} (bytes) while
 * its runtime flag {@code envoy.reloadable_features.send_header_raw_value} is on, {@code value}
 * (string) while it is off or the Envoy predates {@code raw_value}. An answer with both set is
 * an error, one in the other field sets the header to an empty string. So the service answers in
 * the field the stream's request headers came in.
 */
enum HeaderValueField {
  RAW_VALUE,
  VALUE;

  /**
   * The field the values of {@code headers} came in: the first header with a non-empty value
   * decides (Envoy sends the pseudo-headers first, so this reads one entry). No value at all:
   * {@code raw_value}, what current Envoys send and read.
   */
  static HeaderValueField of(HeaderMap headers) {
    for (int i = 0, n = headers.getHeadersCount(); i < n; i++) {
      HeaderValue header = headers.getHeaders(i);
      if (!header.getRawValue().isEmpty()) {
        return RAW_VALUE;
      }
      if (!header.getValue().isEmpty()) {
        return VALUE;
      }
    }
    return RAW_VALUE;
  }
}
