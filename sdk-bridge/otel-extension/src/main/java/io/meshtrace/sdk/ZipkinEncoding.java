package io.meshtrace.sdk;

import zipkin2.reporter.BytesEncoder;
import zipkin2.reporter.Encoding;
import zipkin2.reporter.SpanBytesEncoder;

/**
 * The span formats Zipkin receivers take, as named in {@code meshtrace.exporter.zipkin.encoding}:
 * {@code json-v2} (what OpenTelemetry's own {@code zipkin} exporter sends), {@code proto3} and
 * {@code json-v1} (older Zipkin-compatible backends and collectors).
 */
public enum ZipkinEncoding {
  /** API v2 JSON list of spans, POST {@code /api/v2/spans}. */
  JSON_V2("json-v2", Encoding.JSON, SpanBytesEncoder.JSON_V2, "http://localhost:9411/api/v2/spans"),
  /** API v2 protobuf {@code ListOfSpans}, POST {@code /api/v2/spans}. */
  PROTO3("proto3", Encoding.PROTO3, SpanBytesEncoder.PROTO3, "http://localhost:9411/api/v2/spans"),
  /** API v1 JSON (annotations {@code cs/sr/ss/cr}), POST {@code /api/v1/spans}. */
  JSON_V1("json-v1", Encoding.JSON, SpanBytesEncoder.JSON_V1, "http://localhost:9411/api/v1/spans");

  private final String configName;
  private final Encoding encoding;
  private final SpanBytesEncoder encoder;
  private final String defaultEndpoint;

  ZipkinEncoding(String configName, Encoding encoding, SpanBytesEncoder encoder, String defaultEndpoint) {
    this.configName = configName;
    this.encoding = encoding;
    this.encoder = encoder;
    this.defaultEndpoint = defaultEndpoint;
  }

  public String configName() {
    return configName;
  }

  /** Where a Zipkin server on this host takes this encoding, e.g. {@code http://localhost:9411/api/v1/spans}. */
  public String defaultEndpoint() {
    return defaultEndpoint;
  }

  Encoding encoding() {
    return encoding;
  }

  BytesEncoder<zipkin2.Span> encoder() {
    return encoder;
  }

  /** Parses a configuration name; returns null when {@code name} is not one of them. */
  public static ZipkinEncoding fromConfigName(String name) {
    for (ZipkinEncoding value : values()) {
      if (value.configName.equals(name)) {
        return value;
      }
    }
    return null;
  }
}
