package io.meshtrace.sdk;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.resources.Resource;

/**
 * Autoconfigure SPI: when {@code meshtrace.service.name} or {@code meshtrace.service.namespace}
 * is set, the resource gets the mesh's grouping ({@code service.name} as
 * {@code name.namespace} unless {@code meshtrace.service.qualify=false},
 * {@code service.namespace}, {@code k8s.namespace.name}) and the sampler becomes parent-based
 * at {@code meshtrace.sampling} percent when that is set. Otherwise it changes nothing.
 */
public final class MeshResourceCustomizer implements AutoConfigurationCustomizerProvider {

  @Override
  public void customize(AutoConfigurationCustomizer customizer) {
    customizer.addResourceCustomizer(MeshResourceCustomizer::resource);
    customizer.addSamplerCustomizer((sampler, config) -> {
      String sampling = config.getString(MeshSettings.SAMPLING);
      if (sampling == null) {
        return sampler;
      }
      return MeshTelemetry.sampler(settings(config).samplingPercent());
    });
  }

  static Resource resource(Resource resource, ConfigProperties config) {
    String name = config.getString(MeshSettings.SERVICE_NAME);
    String namespace = config.getString(MeshSettings.SERVICE_NAMESPACE);
    if (name == null && namespace == null) {
      return resource;
    }
    if (name == null) {
      name = resource.getAttribute(MeshTelemetry.SERVICE_NAME);
    }
    MeshSettings settings = settings(config, name);
    AttributesBuilder attributes = Attributes.builder();
    attributes.putAll(MeshTelemetry.resource(settings).getAttributes());
    return resource.merge(Resource.create(attributes.build()));
  }

  private static MeshSettings settings(ConfigProperties config) {
    return settings(config, "service");
  }

  private static MeshSettings settings(ConfigProperties config, String fallbackName) {
    return MeshSettings.fromProperties(key -> {
      String value = config.getString(key);
      if (value == null && MeshSettings.SERVICE_NAME.equals(key)) {
        return fallbackName;
      }
      return value;
    });
  }
}
