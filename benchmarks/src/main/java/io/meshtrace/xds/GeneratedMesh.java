package io.meshtrace.xds;

import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A mesh config of {@code services} services shaped like a real one: each service has one HTTP
 * port, two endpoints and calls the next three services (Istio's Sidecar scoping), one OTLP
 * provider, a mesh-wide tracing rule with custom tags and a per-service override on every tenth
 * service. Only the mesh-wide sampling percentage varies, which is the change the push
 * benchmark makes.
 */
final class GeneratedMesh {

  static final int DEPENDENCIES = 3;

  private GeneratedMesh() {}

  static String serviceName(int i) {
    return String.format(Locale.ROOT, "svc-%04d", i);
  }

  static String yaml(int services, double samplingPercent) {
    StringBuilder y = new StringBuilder(256 * services + 2048);
    y.append("meshVersion: \"1.22.0\"\n")
        .append("defaultProviders:\n  tracing: [otel]\n")
        .append("extensionProviders:\n")
        .append("  - name: otel\n")
        .append("    opentelemetry:\n")
        .append("      service: otel-collector.observability.svc.cluster.local\n")
        .append("      port: 4317\n")
        .append("      grpc:\n        timeout: 5s\n")
        .append("tracing:\n")
        .append("  - providers:\n      - name: otel\n")
        .append("    randomSamplingPercentage: ")
        .append(String.format(Locale.ROOT, "%.2f", samplingPercent)).append('\n')
        .append("    customTags:\n")
        .append("      mesh:\n        literal:\n          value: bench\n")
        .append("      pod:\n        environment:\n          name: POD_NAME\n"
            + "          defaultValue: unknown\n");
    StringBuilder overridden = new StringBuilder();
    for (int i = 0; i < services; i += 10) {
      overridden.append(overridden.length() == 0 ? "" : ", ").append(serviceName(i));
    }
    if (overridden.length() > 0) {
      y.append("  - selector:\n      services: [").append(overridden).append("]\n")
          .append("    match:\n      mode: SERVER\n")
          .append("    randomSamplingPercentage: 50\n");
    }
    y.append("services:\n");
    for (int i = 0; i < services; i++) {
      String name = serviceName(i);
      y.append("  - name: ").append(name).append('\n')
          .append("    hosts: [").append(name).append(".default.svc.cluster.local]\n")
          .append("    ports:\n      - name: http\n        number: 8080\n        protocol: HTTP\n")
          .append("    endpoints:\n")
          .append("      - address: 10.").append(1 + i / 250).append('.').append(i % 250)
          .append(".10\n")
          .append("      - address: 10.").append(1 + i / 250).append('.').append(i % 250)
          .append(".11\n")
          .append("    dependencies: [");
      for (int d = 1; d <= Math.min(DEPENDENCIES, services - 1); d++) {
        y.append(d == 1 ? "" : ", ").append(serviceName((i + d) % services));
      }
      y.append("]\n");
    }
    y.append("sidecar:\n  inboundPort: 15006\n  outboundPort: 15001\n")
        .append("server:\n  ads:\n    address: 127.0.0.1\n    port: 0\n")
        .append("  admin:\n    address: 127.0.0.1\n    port: 0\n");
    return y.toString();
  }

  static MeshConfig config(int services, double samplingPercent) {
    try {
      return ConfigParser.parse(yaml(services, samplingPercent), Path.of("."));
    } catch (ConfigException e) {
      throw new IllegalStateException("generated mesh config is invalid: " + e.getMessage(), e);
    }
  }
}
