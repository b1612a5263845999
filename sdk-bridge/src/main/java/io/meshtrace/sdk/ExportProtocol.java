package io.meshtrace.sdk;

/**
 * Where and how spans are sent: the wire formats mesh backends take. In OpenTelemetry's
 * settings: {@code otel.traces.exporter=otlp} with {@code otel.exporter.otlp.protocol=grpc} or
 * {@code http/protobuf}; {@code zipkin} (v2 JSON); {@code meshtrace} with
 * {@code meshtrace.exporter.zipkin.encoding=json-v2}, {@code proto3} or {@code json-v1}.
 *
 * <p>{@link #configName()} is the short name ExternalProxy's {@code --exporter} takes:
 * {@code zipkin}, {@code zipkin-proto}, {@code zipkin-v1}, {@code otlp-grpc}, {@code otlp-http},
 * {@code none}.
 */
public enum ExportProtocol {
  /** Zipkin API v2, JSON list of spans, POST {@code /api/v2/spans}. */
  ZIPKIN_JSON("zipkin", ZipkinEncoding.JSON_V2.defaultEndpoint()),
  /** Zipkin API v2, protobuf {@code ListOfSpans}, POST {@code /api/v2/spans}. */
  ZIPKIN_PROTO("zipkin-proto", ZipkinEncoding.PROTO3.defaultEndpoint()),
  /** Zipkin API v1 JSON (annotations {@code cs/sr/ss/cr}), POST {@code /api/v1/spans}. */
  ZIPKIN_V1_JSON("zipkin-v1", ZipkinEncoding.JSON_V1.defaultEndpoint()),
  /** OTLP over gRPC, {@code opentelemetry.proto.collector.trace.v1.TraceService/Export}. */
  OTLP_GRPC("otlp-grpc", "http://localhost:4317"),
  /** OTLP over HTTP, protobuf body, POST {@code /v1/traces}. */
  OTLP_HTTP("otlp-http", "http://localhost:4318/v1/traces"),
  /** Spans are not exported (context still propagates). */
  NONE("none", "");

  private final String configName;
  private final String defaultEndpoint;

  ExportProtocol(String configName, String defaultEndpoint) {
    this.configName = configName;
    this.defaultEndpoint = defaultEndpoint;
  }

  public String configName() {
    return configName;
  }

  /** The endpoint used when none is configured, e.g. {@code http://localhost:9411/api/v2/spans}. */
  public String defaultEndpoint() {
    return defaultEndpoint;
  }

  /** The Zipkin encoding of a Zipkin protocol; null for OTLP and none. */
  public ZipkinEncoding zipkinEncoding() {
    switch (this) {
      case ZIPKIN_JSON:
        return ZipkinEncoding.JSON_V2;
      case ZIPKIN_PROTO:
        return ZipkinEncoding.PROTO3;
      case ZIPKIN_V1_JSON:
        return ZipkinEncoding.JSON_V1;
      default:
        return null;
    }
  }

  /** The Zipkin protocol of {@code encoding}. */
  public static ExportProtocol forZipkin(ZipkinEncoding encoding) {
    for (ExportProtocol protocol : values()) {
      if (protocol.zipkinEncoding() == encoding) {
        return protocol;
      }
    }
    throw new IllegalArgumentException("no protocol for " + encoding);
  }

  /** Parses a configuration name; returns null when {@code name} is not one of them. */
  public static ExportProtocol fromConfigName(String name) {
    for (ExportProtocol protocol : values()) {
      if (protocol.configName.equals(name)) {
        return protocol;
      }
    }
    return null;
  }
}
