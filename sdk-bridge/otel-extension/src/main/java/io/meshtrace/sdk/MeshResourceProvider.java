package io.meshtrace.sdk;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ResourceProvider;
import io.opentelemetry.sdk.resources.Resource;

/**
 * Autoconfigure SPI: the namespace attributes of {@code meshtrace.service.namespace}
 * ({@code service.namespace}, {@code k8s.namespace.name}). OpenTelemetry applies
 * {@code otel.resource.attributes} and {@code otel.service.name} after every provider, so they
 * win; the qualified {@code service.name} is set by {@link MeshAutoConfiguration}, which runs
 * after them. Disable with {@code otel.java.disabled.resource.providers=io.meshtrace.sdk.MeshResourceProvider}.
 */
public final class MeshResourceProvider implements ResourceProvider {

  @Override
  public Resource createResource(ConfigProperties config) {
    return MeshResource.namespace(MeshOptions.read(config).namespace());
  }
}
