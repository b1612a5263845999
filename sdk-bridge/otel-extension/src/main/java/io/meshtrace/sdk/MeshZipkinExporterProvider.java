package io.meshtrace.sdk;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * Autoconfigure SPI: {@code otel.traces.exporter=meshtrace} is Zipkin as the mesh's backends
 * take it, beyond what OpenTelemetry's {@code zipkin} exporter (JSON v2, no headers) does:
 *
 * <pre>
 * otel.exporter.zipkin.endpoint=http://zipkin.istio-system:9411/api/v1/spans   # OpenTelemetry's key
 * otel.exporter.zipkin.timeout=10s                                          # OpenTelemetry's key
 * meshtrace.exporter.zipkin.encoding=json-v1        # json-v2 (default) | proto3 | json-v1
 * meshtrace.exporter.zipkin.headers=authorization=Bearer%20abc
 * </pre>
 *
 * <p>Without an endpoint, the encoding's path on {@code localhost:9411}.
 */
public final class MeshZipkinExporterProvider implements ConfigurableSpanExporterProvider {

  public static final String ENDPOINT = "otel.exporter.zipkin.endpoint";
  public static final String TIMEOUT = "otel.exporter.zipkin.timeout";
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    MeshOptions options = MeshOptions.read(config);
    ZipkinEncoding encoding = options.zipkinEncoding() != null ? options.zipkinEncoding() : ZipkinEncoding.JSON_V2;
    String endpoint = config.getString(ENDPOINT);
    URI uri = endpoint == null || endpoint.isBlank()
        ? URI.create(encoding.defaultEndpoint())
        : httpUrl(ENDPOINT, endpoint);
    return ZipkinExporters.create(encoding, uri, options.zipkinHeaders(), timeout(config, TIMEOUT, DEFAULT_TIMEOUT));
  }

  @Override
  public String getName() {
    return MeshOptions.SPI_NAME;
  }

  /** An absolute http or https URL with a host. */
  public static URI httpUrl(String key, String value) {
    URI uri;
    try {
      uri = new URI(value.trim());
    } catch (URISyntaxException e) {
      throw new ConfigurationException(key + "=" + value + ": must be a URL (" + e.getReason() + ")");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigurationException(key + "=" + value + ": must be an http or https URL with a host");
    }
    return uri;
  }

  /** A positive duration from OpenTelemetry's duration getter ({@code 10s}, {@code 500ms}, plain milliseconds). */
  public static Duration timeout(ConfigProperties config, String key, Duration fallback) {
    Duration timeout = config.getDuration(key, fallback);
    if (timeout.isNegative() || timeout.isZero()) {
      throw new ConfigurationException(key + "=" + config.getString(key) + ": must be positive");
    }
    return timeout;
  }
}
