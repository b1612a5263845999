package io.meshtrace.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.nio.charset.StandardCharsets;

/** Builds request_headers messages the way Envoy sends them: pseudo-headers first, lower-case keys, raw_value. */
final class EnvoyHeaders {

  private final HeaderMap.Builder map = HeaderMap.newBuilder();

  private EnvoyHeaders() {}

  /** Starts with {@code :authority}, {@code :path}, {@code :method}, {@code :scheme} and {@code user-agent}. */
  static EnvoyHeaders request() {
    return new EnvoyHeaders()
        .raw(":authority", "gateway.example.com")
        .raw(":path", "/productpage")
        .raw(":method", "GET")
        .raw(":scheme", "https")
        .raw("user-agent", "curl/8.5.0");
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

  /** Adds name/value pairs in the legacy {@code value} field, as Envoys before 1.28 did. */
  EnvoyHeaders legacy(String... pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      map.addHeaders(HeaderValue.newBuilder().setKey(pairs[i]).setValue(pairs[i + 1]));
    }
    return this;
  }

  HeaderMap map() {
    return map.build();
  }

  ProcessingRequest message() {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(true))
        .build();
  }
}
