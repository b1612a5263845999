package io.meshtrace.xds.config;

/**
 * An OpenTelemetry resource detector of a provider (Istio's
 * {@code opentelemetry.resourceDetectors}), served as Envoy's
 * {@code envoy.tracers.opentelemetry.resource_detectors.<name>} extension.
 */
public enum ResourceDetector {
  /** Attributes from the proxy's {@code OTEL_RESOURCE_ATTRIBUTES}: {@code environment: {}}. */
  ENVIRONMENT("environment"),
  /** Host and process attributes from Dynatrace's enrichment files: {@code dynatrace: {}}. */
  DYNATRACE("dynatrace");

  private final String configName;

  ResourceDetector(String configName) {
    this.configName = configName;
  }

  /** The key in {@code resourceDetectors} and the last part of Envoy's extension name. */
  public String configName() {
    return configName;
  }
}
