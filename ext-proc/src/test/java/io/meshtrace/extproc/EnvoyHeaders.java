package io.meshtrace.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.nio.charset.StandardCharsets;

/**
 * Builds request_headers messages the way Envoy sends them: pseudo-headers first, lower-case
 * keys, every value in one field: {@code raw_value} (current Envoys) or {@code value} (Envoys
 * with {@code send_header_raw_value} off, or older than the field).
 */
final class EnvoyHeaders {

  private final HeaderMap.Builder map = HeaderMap.newBuilder();
  private final HeaderValueField field;

  private EnvoyHeaders(HeaderValueField field) {
    this.field = field;
  }

  /** Starts with {@code :authority}, {@code :path}, {@code :method}, {@code :scheme} and {@code user-agent}, in raw_value. */
  static EnvoyHeaders request() {
    return request(HeaderValueField.RAW_VALUE);
  }

  /** The same start, values in {@code field}; {@link #add} then uses that field too. */
  static EnvoyHeaders request(HeaderValueField field) {
    return new EnvoyHeaders(field).add(
        ":authority", "gateway.example.com",
        ":path", "/productpage",
        ":method", "GET",
        ":scheme", "https",
        "user-agent", "curl/8.5.0");
  }

  /** Adds name/value pairs in this request's field. */
  EnvoyHeaders add(String... pairs) {
    return field == HeaderValueField.RAW_VALUE ? raw(pairs) : legacy(pairs);
  }

  /** Adds name/value pairs in raw_value. */
  EnvoyHeaders raw(String... pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      map.addHeaders(HeaderValue.newBuilder()
          .setKey(pairs[i])
          .setRawValue(ByteString.copyFrom(pairs[i + 1], StandardCharsets.ISO_8859_1)));
    }
    return this;
  }

  /** Adds a header with arbitrary value bytes in raw_value. */
  EnvoyHeaders rawBytes(String name, byte[] value) {
    map.addHeaders(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFrom(value)));
    return this;
  }

  /** Adds name/value pairs in the legacy {@code value} field. */
  EnvoyHeaders legacy(String... pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      map.addHeaders(HeaderValue.newBuilder().setKey(pairs[i]).setValue(pairs[i + 1]));
    }
    return this;
  }

  HeaderMap map() {
    return map.build();
  }

  HttpHeaders headers() {
    return HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(true).build();
  }

  ProcessingRequest message() {
    return ProcessingRequest.newBuilder().setRequestHeaders(headers()).build();
  }
}
