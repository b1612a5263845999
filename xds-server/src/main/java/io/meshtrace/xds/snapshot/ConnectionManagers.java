package io.meshtrace.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.RequestIDExtension;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.meshtrace.xds.config.DynatraceSampler;
import io.meshtrace.xds.config.MeshConfig;
import java.util.HashSet;
import java.util.Set;

/**
 * HTTP connection managers with the tracing in force, and the collector cluster of each
 * provider they trace to (built and checked once per node group).
 */
final class ConnectionManagers {

  private final String serviceName;
  private final ResourceSet set;
  private final Set<String> checkedProviders = new HashSet<>();

  /** @param serviceName the tracer's service name: the node's service */
  ConnectionManagers(String serviceName, ResourceSet set) {
    this.serviceName = serviceName;
    this.set = set;
  }

  /**
   * An HCM with the router as its one HTTP filter, UUID request ids that carry the trace reason,
   * and the tracing block of {@code t} when it has a provider. Callers add the routes.
   */
  HttpConnectionManager.Builder traced(String statPrefix, EffectiveTracing t) {
    HttpConnectionManager.Builder b = HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix)
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .addHttpFilters(EnvoyProtos.router())
        .setRequestIdExtension(RequestIDExtension.newBuilder().setTypedConfig(Any.pack(
            UuidRequestIdConfig.newBuilder()
                .setPackTraceReason(BoolValue.of(true))
                .setUseRequestIdForTraceSampling(BoolValue.of(t.useRequestIdForTraceSampling()))
                .build())));
    if (t.provider() != null) {
      providerOnce(t.provider());
      for (MeshConfig.CustomTag tag : t.customTags()) {
        set.check(TracingProtos.customTag(tag), tag.path());
      }
      HttpConnectionManager.Tracing tracing = TracingProtos.hcmTracing(t, serviceName);
      // Provider and tags were checked above under their own paths.
      set.check(tracing.toBuilder().clearProvider().clearCustomTags().build(),
          "tracing (" + String.join(", ", t.sources()) + ")");
      b.setTracing(tracing);
    }
    return b;
  }

  /**
   * Checks a provider's tracer config once and adds its collector cluster (and the cluster of
   * its Dynatrace sampler's own API).
   */
  private void providerOnce(MeshConfig.Provider p) {
    if (!checkedProviders.add(p.name())) {
      return;
    }
    set.check(TracingProtos.provider(p, serviceName), p.path());
    String name = TracingProtos.collectorCluster(p);
    Cluster.Builder c = EnvoyProtos.hostCluster(name, p.host(), p.port());
    if (p.http2()) {
      EnvoyProtos.http2(c);
    }
    set.putCluster(c.build(), p.path());
    set.referenceCluster(name, p.path());
    DynatraceSampler sampler = TracingProtos.sampler(p);
    if (sampler != null && sampler.ownHost() != null) {
      String samplerName = TracingProtos.samplerCluster(p, sampler);
      set.putCluster(EnvoyProtos.hostCluster(samplerName, sampler.ownHost(), sampler.port())
          .build(), sampler.path());
      set.referenceCluster(samplerName, sampler.path());
    }
  }
}
