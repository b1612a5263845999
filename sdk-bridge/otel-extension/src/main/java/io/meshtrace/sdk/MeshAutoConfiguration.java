package io.meshtrace.sdk;

import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import java.util.Map;

/**
 * Autoconfigure SPI, in the Java agent and in an application's own autoconfigure alike:
 * <ul>
 *   <li>makes {@code meshtrace,baggage} the default of {@code otel.propagators} (a value set
 *       anywhere, system property, {@code OTEL_PROPAGATORS} or properties file, wins), so that
 *       loading the extension is enough to join the mesh's traces;
 *   <li>checks the {@code meshtrace.*} keys once, before anything is built, so a bad value or a
 *       removed key stops the configuration with its name;
 *   <li>reports {@code service.name} qualified by the namespace ({@link MeshResource#qualify}),
 *       after {@code otel.service.name} has been applied.
 * </ul>
 */
public final class MeshAutoConfiguration implements AutoConfigurationCustomizerProvider {

  static final String PROPAGATORS = "otel.propagators";
  static final String DEFAULT_PROPAGATORS = MeshOptions.SPI_NAME + ",baggage";

  @Override
  public void customize(AutoConfigurationCustomizer customizer) {
    customizer.addPropertiesCustomizer(config -> {
      MeshOptions.read(config);
      String propagators = config.getString(PROPAGATORS);
      return propagators == null || propagators.isBlank()
          ? Map.of(PROPAGATORS, DEFAULT_PROPAGATORS)
          : Map.of();
    });
    customizer.addResourceCustomizer((resource, config) -> {
      MeshOptions options = MeshOptions.read(config);
      return MeshResource.qualify(resource, options.namespace(), options.qualifyServiceName());
    });
  }
}
