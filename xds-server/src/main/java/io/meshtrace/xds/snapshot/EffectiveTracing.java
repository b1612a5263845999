package io.meshtrace.xds.snapshot;

import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.MeshConfig.CustomTag;
import io.meshtrace.xds.config.MeshConfig.TracingRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tracing settings in force for one service and direction, after folding the
 * {@code tracing[]} rules: mesh-wide rules first, then rules whose selector names the service,
 * each in file order; a later rule overrides the fields it sets, and merges its custom tags by
 * name or (a Telemetry resource's rule) replaces them. {@code provider == null} means
 * no tracing.
 */
public record EffectiveTracing(
    MeshConfig.Provider provider,
    double randomSampling,
    double clientSampling,
    double overallSampling,
    boolean useRequestIdForTraceSampling,
    Integer maxPathTagLength,
    boolean verbose,
    List<CustomTag> customTags,
    List<String> sources) {

  /** The settings for {@code service}'s outbound (client) or inbound (server) side. */
  public static EffectiveTracing resolve(MeshConfig config, String service, boolean outbound) {
    String provider = config.defaultProviders().isEmpty() ? null
        : config.defaultProviders().get(0);
    double random = TracingRule.DEFAULT_RANDOM_SAMPLING;
    double client = 100;
    double overall = 100;
    boolean requestId = true;
    Integer maxPath = null;
    boolean verbose = false;
    boolean disabled = false;
    Map<String, CustomTag> tags = new LinkedHashMap<>();
    List<String> sources = new ArrayList<>();
    List<TracingRule> ordered = new ArrayList<>();
    for (TracingRule r : config.tracing()) {
      if (r.services().isEmpty()) {
        ordered.add(r);
      }
    }
    for (TracingRule r : config.tracing()) {
      if (!r.services().isEmpty() && r.services().contains(service)) {
        ordered.add(r);
      }
    }
    for (TracingRule r : ordered) {
      if (!r.mode().covers(outbound)) {
        continue;
      }
      sources.add(r.path());
      provider = r.provider() != null ? r.provider() : provider;
      random = r.randomSamplingPercentage() != null ? r.randomSamplingPercentage() : random;
      client = r.clientSamplingPercentage() != null ? r.clientSamplingPercentage() : client;
      overall = r.overallSamplingPercentage() != null ? r.overallSamplingPercentage() : overall;
      requestId = r.useRequestIdForTraceSampling() != null ? r.useRequestIdForTraceSampling()
          : requestId;
      maxPath = r.maxPathTagLength() != null ? r.maxPathTagLength() : maxPath;
      verbose = r.verbose() != null ? r.verbose() : verbose;
      disabled = r.disableSpanReporting() != null ? r.disableSpanReporting() : disabled;
      if (r.customTags() != null) {
        if (r.replaceCustomTags()) {
          tags.clear();
        }
        tags.putAll(r.customTags());
      }
    }
    MeshConfig.Provider p = disabled || provider == null ? null : config.provider(provider);
    if (maxPath == null && p != null) {
      maxPath = p.maxTagLength();
    }
    return new EffectiveTracing(p, random, client, overall, requestId, maxPath, verbose,
        List.copyOf(tags.values()), List.copyOf(sources));
  }
}
