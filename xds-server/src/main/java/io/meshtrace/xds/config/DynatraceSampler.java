package io.meshtrace.xds.config;

import java.time.Duration;
import java.util.List;

/**
 * Dynatrace's adaptive traffic management sampler of an OpenTelemetry provider (Istio's
 * {@code opentelemetry.dynatraceSampler}), served as Envoy's
 * {@code envoy.tracers.opentelemetry.samplers.dynatrace}. With a sampler the HCM samples 100%
 * and the sampler decides, as Istio configures it.
 *
 * @param path YAML path of {@code dynatraceSampler}
 * @param tenant the Dynatrace tenant ({@code tenant})
 * @param clusterId the Dynatrace cluster id ({@code clusterId})
 * @param rootSpansPerMinute fallback rate, or null for Envoy's default of 1000
 * @param ownHost the host of {@code httpService.service} (the sampler gets a cluster of its
 *     own), or null when the sampler reuses the provider's collector, its timeout and headers,
 *     as Istio does without {@code httpService}
 * @param port the port of {@code httpService}, or the provider's
 * @param httpPath the sampling configuration API's path
 */
public record DynatraceSampler(String path, String tenant, int clusterId,
    Integer rootSpansPerMinute, String ownHost, int port, String httpPath, Duration timeout,
    List<Header> headers) {

  /** Where Istio points the sampler when it reuses the OTLP/HTTP exporter. */
  public static final String DEFAULT_PATH = "/api/v2/samplingConfiguration";
}
