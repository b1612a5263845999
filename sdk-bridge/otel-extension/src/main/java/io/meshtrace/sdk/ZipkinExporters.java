package io.meshtrace.sdk;

import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/** The one place Zipkin span exporters are built, for sdk-bridge and the agent extension alike. */
public final class ZipkinExporters {

  private ZipkinExporters() {}

  /**
   * OpenTelemetry's Zipkin exporter (span conversion, batching into lists) with the JDK sender:
   * {@code encoding} posted to {@code endpoint} with {@code headers}.
   */
  // OpenTelemetry deprecated its Zipkin exporter in favour of collector-side translation; meshes
  // whose backend only takes Zipkin still need it.
  @SuppressWarnings("deprecation")
  public static SpanExporter create(
      ZipkinEncoding encoding, URI endpoint, Map<String, String> headers, Duration timeout) {
    return ZipkinSpanExporter.builder()
        .setSender(new JdkZipkinSender(endpoint, encoding.encoding(), headers, timeout))
        .setEncoder(encoding.encoder())
        .build();
  }
}
