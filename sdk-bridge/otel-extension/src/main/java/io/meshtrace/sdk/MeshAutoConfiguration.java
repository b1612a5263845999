package io.meshtrace.sdk;

import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Autoconfigure SPI, in the Java agent and in an application's own autoconfigure alike:
 * <ul>
 *   <li>makes {@code meshtrace,baggage} the default of {@code otel.propagators} (a value set
 *       anywhere, system property, {@code OTEL_PROPAGATORS} or properties file, wins), so that
 *       loading the extension is enough to join the mesh's traces;
 *   <li>where OpenTelemetry's {@code zipkin} exporter cannot run (no OkHttp sender on the
 *       class path, as in sdk-bridge), has {@code meshtrace} send the same JSON v2 instead;
 *   <li>checks the {@code meshtrace.*} keys once, before anything is built, so a bad value or a
 *       removed key stops the configuration with its name;
 *   <li>reports {@code service.name} qualified by the namespace ({@link MeshResource#qualify}),
 *       after {@code otel.service.name} has been applied.
 * </ul>
 */
public final class MeshAutoConfiguration implements AutoConfigurationCustomizerProvider {

  static final String PROPAGATORS = "otel.propagators";
  static final String DEFAULT_PROPAGATORS = MeshOptions.SPI_NAME + ",baggage";
  static final String TRACES_EXPORTER = "otel.traces.exporter";
  static final String OKHTTP_SENDER = "zipkin2.reporter.okhttp3.OkHttpSender";

  private static boolean present(String className) {
    try {
      Class.forName(className, false, MeshAutoConfiguration.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  @Override
  public void customize(AutoConfigurationCustomizer customizer) {
    customizer.addPropertiesCustomizer(config -> {
      MeshOptions.read(config);
      Map<String, String> overrides = new HashMap<>();
      String propagators = config.getString(PROPAGATORS);
      if (propagators == null || propagators.isBlank()) {
        overrides.put(PROPAGATORS, DEFAULT_PROPAGATORS);
      }
      List<String> exporters = config.getList(TRACES_EXPORTER);
      if (exporters.contains("zipkin") && !present(OKHTTP_SENDER)) {
        // OpenTelemetry's zipkin exporter needs zipkin-reporter's OkHttp sender (the agent
        // bundles it; an application may not have it). The meshtrace exporter sends the same
        // JSON v2 to the same otel.exporter.zipkin.endpoint over the JDK's client.
        List<String> replaced = new ArrayList<>();
        for (String name : exporters) {
          replaced.add("zipkin".equals(name) ? MeshOptions.SPI_NAME : name);
        }
        overrides.put(TRACES_EXPORTER, String.join(",", replaced));
      }
      return overrides;
    });
    customizer.addResourceCustomizer((resource, config) -> {
      MeshOptions options = MeshOptions.read(config);
      return MeshResource.qualify(resource, options.namespace(), options.qualifyServiceName());
    });
  }
}
