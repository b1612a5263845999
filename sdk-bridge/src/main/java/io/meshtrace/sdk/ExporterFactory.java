package io.meshtrace.sdk;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Map;

/** Builds the span exporter for {@link MeshSettings.Exporter}. */
final class ExporterFactory {

  private ExporterFactory() {}

  static SpanExporter create(MeshSettings.Exporter settings) {
    switch (settings.protocol()) {
      case ZIPKIN_JSON:
      case ZIPKIN_PROTO:
      case ZIPKIN_V1_JSON:
        return ZipkinExporters.create(settings.protocol().zipkinEncoding(), settings.endpoint(),
            settings.headers(), settings.timeout());
      case OTLP_GRPC:
        return otlpGrpc(settings);
      case OTLP_HTTP:
        return otlpHttp(settings);
      case NONE:
        return SpanExporter.composite();
      default:
        throw new IllegalArgumentException("unknown protocol " + settings.protocol());
    }
  }

  private static SpanExporter otlpGrpc(MeshSettings.Exporter settings) {
    OtlpGrpcSpanExporterBuilder builder = OtlpGrpcSpanExporter.builder()
        .setEndpoint(settings.endpoint().toString())
        .setTimeout(settings.timeout());
    for (Map.Entry<String, String> header : settings.headers().entrySet()) {
      builder.addHeader(header.getKey(), header.getValue());
    }
    return builder.build();
  }

  private static SpanExporter otlpHttp(MeshSettings.Exporter settings) {
    OtlpHttpSpanExporterBuilder builder = OtlpHttpSpanExporter.builder()
        .setEndpoint(settings.endpoint().toString())
        .setTimeout(settings.timeout());
    for (Map.Entry<String, String> header : settings.headers().entrySet()) {
      builder.addHeader(header.getKey(), header.getValue());
    }
    return builder.build();
  }
}
