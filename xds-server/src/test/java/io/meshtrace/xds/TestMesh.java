package io.meshtrace.xds;

import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.util.List;
import java.util.Set;

/** Small mesh configs for tests: two services, one provider, one tracing rule. */
public final class TestMesh {

  public static final String PROVIDERS = """
      extensionProviders:
        - name: otel
          opentelemetry:
            service: otel-collector.observability
            port: 4317
      """;

  public static final String TRACING = """
      defaultProviders:
        tracing: [otel]
      tracing:
        - randomSamplingPercentage: 10
      """;

  public static final String SERVICES = """
      services:
        - name: productpage
          ports:
            - name: http
              number: 9080
          endpoints:
            - address: 10.0.0.10
        - name: reviews
          ports:
            - name: grpc
              number: 9080
              protocol: GRPC
          endpoints:
            - address: 10.0.0.30
      """;

  private TestMesh() {}

  public static String yaml(String providers, String tracing, String services) {
    return providers + tracing + services;
  }

  public static String base() {
    return yaml(PROVIDERS, TRACING, SERVICES);
  }

  /** Everything wrong with a config: parser problems, or else snapshot problems. */
  public static List<String> problems(String yaml) {
    MeshConfig config;
    try {
      config = ConfigParser.parse(yaml, null);
    } catch (ConfigException e) {
      return e.errors();
    }
    return MeshSnapshots.errors(MeshSnapshots.buildAll(config, Set.of()));
  }
}
