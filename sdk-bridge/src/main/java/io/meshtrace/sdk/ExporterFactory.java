package io.meshtrace.sdk;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Map;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;
import zipkin2.reporter.SpanBytesEncoder;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/** Builds the span exporter for {@link MeshSettings.Exporter}. */
final class ExporterFactory {

  private ExporterFactory() {}

  static SpanExporter create(MeshSettings.Exporter settings) {
    switch (settings.protocol()) {
      case ZIPKIN_JSON:
        return zipkin(settings, Encoding.JSON, SpanBytesEncoder.JSON_V2);
      case ZIPKIN_PROTO:
        return zipkin(settings, Encoding.PROTO3, SpanBytesEncoder.PROTO3);
      case ZIPKIN_V1_JSON:
        // zipkin-reporter 3.5.3 ships a v1 JSON span encoder; the JSON list framing is shared.
        return zipkin(settings, Encoding.JSON, SpanBytesEncoder.JSON_V1);
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

  // OpenTelemetry deprecated its Zipkin exporter (1.63.0 is its last release) in favour of
  // collector-side translation; meshes whose backend only takes Zipkin still need it.
  @SuppressWarnings("deprecation")
  private static SpanExporter zipkin(
      MeshSettings.Exporter settings, Encoding encoding, SpanBytesEncoder encoder) {
    BytesMessageSender sender;
    if (settings.headers().isEmpty()) {
      int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis());
      sender = URLConnectionSender.newBuilder()
          .endpoint(settings.endpoint().toString())
          .encoding(encoding)
          .connectTimeout(timeoutMillis)
          .readTimeout(timeoutMillis)
          .build();
    } else {
      sender = new ZipkinHeaderSender(settings.endpoint(), encoding, settings.headers(), settings.timeout());
    }
    return ZipkinSpanExporter.builder().setSender(sender).setEncoder(encoder).build();
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
