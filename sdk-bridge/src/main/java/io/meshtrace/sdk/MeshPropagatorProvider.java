package io.meshtrace.sdk;

import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurablePropagatorProvider;

/**
 * Autoconfigure SPI: {@code otel.propagators=meshtrace} selects the mesh propagator, configured
 * by {@code meshtrace.propagation} ({@code b3}, {@code b3multi}, {@code b3single}, {@code w3c},
 * a list) or else {@code meshtrace.mesh.version}. Loaded by {@link java.util.ServiceLoader}.
 */
public final class MeshPropagatorProvider implements ConfigurablePropagatorProvider {

  @Override
  public TextMapPropagator getPropagator(ConfigProperties config) {
    return MeshTelemetry.propagator(
        config.getString(MeshSettings.PROPAGATION), config.getString(MeshSettings.MESH_VERSION));
  }

  @Override
  public String getName() {
    return MeshTelemetry.SPI_NAME;
  }
}
