package io.meshtrace.sdk;

import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurablePropagatorProvider;

/**
 * Autoconfigure SPI: {@code otel.propagators=meshtrace} (or {@code meshtrace,baggage}) selects
 * the mesh propagator. It injects {@code meshtrace.propagation} ({@code tracecontext},
 * {@code b3}, {@code b3multi}, a list) or else the formats of {@code meshtrace.mesh.version}
 * (default: W3C and B3 multi), extracts every format after trace-context's repair, and carries
 * {@code x-request-id}. Loaded by {@link java.util.ServiceLoader}, in the Java agent too.
 */
public final class MeshPropagatorProvider implements ConfigurablePropagatorProvider {

  @Override
  public TextMapPropagator getPropagator(ConfigProperties config) {
    return new MeshPropagator(
        MeshOptions.read(config).propagation(), MeshOptions.deferredSamplingPercent(config));
  }

  @Override
  public String getName() {
    return MeshOptions.SPI_NAME;
  }
}
