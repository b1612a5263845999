package io.meshtrace.sdk;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * Autoconfigure SPI: {@code otel.traces.exporter=meshtrace} selects the exporter described by
 * {@code meshtrace.exporter}, {@code .endpoint}, {@code .headers}, {@code .timeout} (Zipkin
 * v2 JSON / proto, Zipkin v1 JSON, OTLP gRPC / HTTP). Loaded by {@link java.util.ServiceLoader}.
 */
public final class MeshSpanExporterProvider implements ConfigurableSpanExporterProvider {

  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    return ExporterFactory.create(exporterSettings(config));
  }

  static MeshSettings.Exporter exporterSettings(ConfigProperties config) {
    // The service name is not needed for the exporter; a placeholder satisfies the parser.
    return MeshSettings.fromProperties(key -> {
      if (MeshSettings.SERVICE_NAME.equals(key)) {
        return "exporter";
      }
      return config.getString(key);
    }).exporter();
  }

  @Override
  public String getName() {
    return MeshTelemetry.SPI_NAME;
  }
}
