package io.meshtrace.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HttpService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.trace.v3.ClientConfig;
import io.envoyproxy.envoy.config.trace.v3.DatadogConfig;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.resource_detectors.v3.DynatraceResourceDetectorConfig;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.resource_detectors.v3.EnvironmentResourceDetectorConfig;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.samplers.v3.DynatraceSamplerConfig;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKey;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKind;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.Percent;
import io.meshtrace.xds.config.DynatraceSampler;
import io.meshtrace.xds.config.Header;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.ResourceDetector;
import java.util.List;

/** Turns tracing settings of the mesh model into Envoy v3 tracing protos. */
final class TracingProtos {

  static final String OPENTELEMETRY = "envoy.tracers.opentelemetry";
  static final String ZIPKIN = "envoy.tracers.zipkin";
  static final String SKYWALKING = "envoy.tracers.skywalking";
  static final String DATADOG = "envoy.tracers.datadog";
  static final String RESOURCE_DETECTORS = "envoy.tracers.opentelemetry.resource_detectors.";
  static final String DYNATRACE_SAMPLER = "envoy.tracers.opentelemetry.samplers.dynatrace";

  private TracingProtos() {}

  /** Name of the cluster that reaches a provider's collector. */
  static String collectorCluster(MeshConfig.Provider p) {
    return "tracing|" + p.name();
  }

  /**
   * Name of the cluster that reaches a Dynatrace sampler's own API; a sampler without one asks
   * the provider's collector.
   */
  static String samplerCluster(MeshConfig.Provider p, DynatraceSampler s) {
    return s.ownHost() == null ? collectorCluster(p) : collectorCluster(p) + "|sampler";
  }

  /** The Dynatrace sampler of an OpenTelemetry provider, or null. */
  static DynatraceSampler sampler(MeshConfig.Provider p) {
    return p instanceof MeshConfig.OpenTelemetryHttp h ? h.sampler() : null;
  }

  /** The HCM {@code tracing.provider} block. */
  static io.envoyproxy.envoy.config.trace.v3.Tracing.Http provider(MeshConfig.Provider p,
      String serviceName) {
    String cluster = collectorCluster(p);
    String name;
    Any config;
    if (p instanceof MeshConfig.OpenTelemetryGrpc) {
      MeshConfig.OpenTelemetryGrpc g = (MeshConfig.OpenTelemetryGrpc) p;
      GrpcService.Builder svc = GrpcService.newBuilder().setEnvoyGrpc(
          GrpcService.EnvoyGrpc.newBuilder().setClusterName(cluster).setAuthority(g.host()));
      if (g.timeout() != null) {
        svc.setTimeout(EnvoyProtos.duration(g.timeout()));
      }
      for (Header h : g.initialMetadata()) {
        svc.addInitialMetadata(HeaderValue.newBuilder().setKey(h.name()).setValue(h.value()));
      }
      name = OPENTELEMETRY;
      config = Any.pack(openTelemetry(g.resourceDetectors()).setGrpcService(svc)
          .setServiceName(serviceName).build());
    } else if (p instanceof MeshConfig.OpenTelemetryHttp) {
      MeshConfig.OpenTelemetryHttp h = (MeshConfig.OpenTelemetryHttp) p;
      HttpService.Builder svc = HttpService.newBuilder().setHttpUri(HttpUri.newBuilder()
          .setUri("http://" + EnvoyProtos.hostPort(h.host(), h.port()) + h.httpPath())
          .setCluster(cluster)
          .setTimeout(EnvoyProtos.duration(h.timeout())));
      for (Header x : h.headers()) {
        svc.addRequestHeadersToAdd(HeaderValueOption.newBuilder()
            .setHeader(HeaderValue.newBuilder().setKey(x.name()).setValue(x.value()))
            .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
      }
      OpenTelemetryConfig.Builder otel = openTelemetry(h.resourceDetectors()).setHttpService(svc)
          .setServiceName(serviceName);
      if (h.sampler() != null) {
        otel.setSampler(dynatraceSampler(p, h.sampler()));
      }
      name = OPENTELEMETRY;
      config = Any.pack(otel.build());
    } else if (p instanceof MeshConfig.Zipkin) {
      MeshConfig.Zipkin z = (MeshConfig.Zipkin) p;
      name = ZIPKIN;
      config = Any.pack(ZipkinConfig.newBuilder()
          .setCollectorCluster(cluster)
          .setCollectorEndpoint(z.httpPath())
          .setCollectorEndpointVersion(z.protoEncoding()
              ? ZipkinConfig.CollectorEndpointVersion.HTTP_PROTO
              : ZipkinConfig.CollectorEndpointVersion.HTTP_JSON)
          .setTraceId128Bit(z.traceId128bit())
          // Istio's choice: client and server spans get their own ids.
          .setSharedSpanContext(BoolValue.of(false))
          .setCollectorHostname(z.host())
          .build());
    } else if (p instanceof MeshConfig.SkyWalking) {
      MeshConfig.SkyWalking s = (MeshConfig.SkyWalking) p;
      ClientConfig.Builder client = ClientConfig.newBuilder().setServiceName(serviceName);
      if (s.accessToken() != null) {
        client.setBackendToken(s.accessToken());
      }
      name = SKYWALKING;
      config = Any.pack(SkyWalkingConfig.newBuilder()
          .setGrpcService(GrpcService.newBuilder().setEnvoyGrpc(
              GrpcService.EnvoyGrpc.newBuilder().setClusterName(cluster).setAuthority(s.host())))
          .setClientConfig(client)
          .build());
    } else {
      MeshConfig.Datadog d = (MeshConfig.Datadog) p;
      name = DATADOG;
      config = Any.pack(DatadogConfig.newBuilder()
          .setCollectorCluster(cluster)
          .setServiceName(serviceName)
          .setCollectorHostname(d.host())
          .build());
    }
    return io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
        .setName(name).setTypedConfig(config).build();
  }

  /** An OpenTelemetry tracer config with Envoy's resource detector extensions. */
  private static OpenTelemetryConfig.Builder openTelemetry(List<ResourceDetector> detectors) {
    OpenTelemetryConfig.Builder b = OpenTelemetryConfig.newBuilder();
    for (ResourceDetector d : detectors) {
      com.google.protobuf.Message config = d == ResourceDetector.ENVIRONMENT
          ? EnvironmentResourceDetectorConfig.getDefaultInstance()
          : DynatraceResourceDetectorConfig.getDefaultInstance();
      b.addResourceDetectors(TypedExtensionConfig.newBuilder()
          .setName(RESOURCE_DETECTORS + d.configName()).setTypedConfig(Any.pack(config)));
    }
    return b;
  }

  /** Envoy's Dynatrace sampler extension, asking the sampler's API or the collector. */
  private static TypedExtensionConfig dynatraceSampler(MeshConfig.Provider p,
      DynatraceSampler s) {
    String host = s.ownHost() == null ? p.host() : s.ownHost();
    HttpService.Builder api = HttpService.newBuilder().setHttpUri(HttpUri.newBuilder()
        .setUri("http://" + EnvoyProtos.hostPort(host, s.port()) + s.httpPath())
        .setCluster(samplerCluster(p, s))
        .setTimeout(EnvoyProtos.duration(s.timeout())));
    for (Header x : s.headers()) {
      api.addRequestHeadersToAdd(HeaderValueOption.newBuilder()
          .setHeader(HeaderValue.newBuilder().setKey(x.name()).setValue(x.value()))
          .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }
    DynatraceSamplerConfig.Builder c = DynatraceSamplerConfig.newBuilder()
        .setTenant(s.tenant()).setClusterId(s.clusterId()).setHttpService(api);
    if (s.rootSpansPerMinute() != null) {
      c.setRootSpansPerMinute(s.rootSpansPerMinute());
    }
    return TypedExtensionConfig.newBuilder().setName(DYNATRACE_SAMPLER)
        .setTypedConfig(Any.pack(c.build())).build();
  }

  /**
   * The HCM {@code tracing} block for effective settings that have a provider. With a sampler
   * in the tracer (Dynatrace's) the random sampling is 100%: every span reaches the sampler,
   * which decides, as Istio configures it.
   */
  static HttpConnectionManager.Tracing hcmTracing(EffectiveTracing t, String serviceName) {
    double random = sampler(t.provider()) != null ? 100 : t.randomSampling();
    HttpConnectionManager.Tracing.Builder b = HttpConnectionManager.Tracing.newBuilder()
        .setRandomSampling(Percent.newBuilder().setValue(random))
        .setClientSampling(Percent.newBuilder().setValue(t.clientSampling()))
        .setOverallSampling(Percent.newBuilder().setValue(t.overallSampling()))
        .setVerbose(t.verbose())
        .setProvider(provider(t.provider(), serviceName));
    if (t.maxPathTagLength() != null) {
      b.setMaxPathTagLength(UInt32Value.of(t.maxPathTagLength()));
    }
    for (MeshConfig.CustomTag tag : t.customTags()) {
      b.addCustomTags(customTag(tag));
    }
    // SkyWalking's tracer needs its own upstream span (Envoy docs for SkyWalkingConfig).
    if (t.provider() instanceof MeshConfig.SkyWalking) {
      b.setSpawnUpstreamSpan(BoolValue.of(true));
    }
    return b.build();
  }

  /** Route-level tracing overrides. */
  static io.envoyproxy.envoy.config.route.v3.Tracing routeTracing(MeshConfig.RouteTracing t) {
    io.envoyproxy.envoy.config.route.v3.Tracing.Builder b =
        io.envoyproxy.envoy.config.route.v3.Tracing.newBuilder();
    if (t.randomSamplingPercentage() != null) {
      b.setRandomSampling(fraction(t.randomSamplingPercentage()));
    }
    if (t.clientSamplingPercentage() != null) {
      b.setClientSampling(fraction(t.clientSamplingPercentage()));
    }
    if (t.overallSamplingPercentage() != null) {
      b.setOverallSampling(fraction(t.overallSamplingPercentage()));
    }
    if (t.customTags() != null) {
      for (MeshConfig.CustomTag tag : t.customTags().values()) {
        b.addCustomTags(customTag(tag));
      }
    }
    return b.build();
  }

  /** A percentage with fractions as parts per million (0.01% = 100/1,000,000). */
  static FractionalPercent fraction(double percent) {
    return FractionalPercent.newBuilder()
        .setNumerator((int) Math.round(percent * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  static CustomTag customTag(MeshConfig.CustomTag t) {
    CustomTag.Builder b = CustomTag.newBuilder().setTag(t.tag());
    if (t instanceof MeshConfig.CustomTag.Literal l) {
      b.setLiteral(CustomTag.Literal.newBuilder().setValue(l.value()));
    } else if (t instanceof MeshConfig.CustomTag.Environment e) {
      b.setEnvironment(CustomTag.Environment.newBuilder().setName(e.name())
          .setDefaultValue(e.defaultValue()));
    } else if (t instanceof MeshConfig.CustomTag.RequestHeader h) {
      b.setRequestHeader(CustomTag.Header.newBuilder().setName(h.name())
          .setDefaultValue(h.defaultValue()));
    } else if (t instanceof MeshConfig.CustomTag.Metadata m) {
      MetadataKind.Builder kind = MetadataKind.newBuilder();
      switch (m.kind()) {
        case ROUTE:
          kind.setRoute(MetadataKind.Route.getDefaultInstance());
          break;
        case CLUSTER:
          kind.setCluster(MetadataKind.Cluster.getDefaultInstance());
          break;
        case HOST:
          kind.setHost(MetadataKind.Host.getDefaultInstance());
          break;
        default:
          kind.setRequest(MetadataKind.Request.getDefaultInstance());
      }
      MetadataKey.Builder key = MetadataKey.newBuilder().setKey(m.key());
      for (String seg : m.keyPath()) {
        key.addPath(MetadataKey.PathSegment.newBuilder().setKey(seg));
      }
      b.setMetadata(CustomTag.Metadata.newBuilder().setKind(kind).setMetadataKey(key)
          .setDefaultValue(m.defaultValue()));
    }
    return b.build();
  }

  /** The message types this control plane packs into {@code Any} fields. */
  static List<com.google.protobuf.Message> anyTypes() {
    return List.of(
        HttpConnectionManager.getDefaultInstance(),
        io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDefaultInstance(),
        io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst
            .getDefaultInstance(),
        io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDefaultInstance(),
        io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig
            .getDefaultInstance(),
        io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
            .getDefaultInstance(),
        io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3
            .InternalUpstreamTransport.getDefaultInstance(),
        io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer
            .getDefaultInstance(),
        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
            .getDefaultInstance(),
        OpenTelemetryConfig.getDefaultInstance(),
        ZipkinConfig.getDefaultInstance(),
        SkyWalkingConfig.getDefaultInstance(),
        DatadogConfig.getDefaultInstance(),
        EnvironmentResourceDetectorConfig.getDefaultInstance(),
        DynatraceResourceDetectorConfig.getDefaultInstance(),
        DynatraceSamplerConfig.getDefaultInstance());
  }
}
