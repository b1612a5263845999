package io.meshtrace.sdk;

import io.meshtrace.context.HttpToken;
import io.meshtrace.context.MeshPropagation;
import io.meshtrace.context.PropagationFormat;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link MeshTelemetry} needs to know about the application and its mesh. Immutable and
 * validated on construction. Built in code ({@link #of} and the {@code with*} methods) or read
 * from OpenTelemetry's own settings plus the few {@code meshtrace.*} keys OpenTelemetry has no
 * name for ({@link #fromConfig}; the table is in sdk-bridge's README):
 *
 * <pre>
 * otel.service.name=productpage
 * otel.traces.exporter=otlp                       # otlp | zipkin | meshtrace | none
 * otel.exporter.otlp.protocol=http/protobuf       # grpc (default) | http/protobuf
 * otel.exporter.otlp.endpoint=http://collector:4318
 * otel.traces.sampler=parentbased_traceidratio
 * otel.traces.sampler.arg=0.1                     # a ratio: 10 % of new traces
 * otel.propagators=meshtrace,baggage
 * meshtrace.mesh.version=1.18.0.124               # the meshtrace propagator injects B3
 * meshtrace.service.namespace=bookinfo            # service.name becomes productpage.bookinfo
 * </pre>
 *
 * @param serviceName the application's name, as the mesh knows it (e.g. {@code productpage})
 * @param serviceNamespace {@code meshtrace.service.namespace}: sets {@code service.namespace}
 *     and {@code k8s.namespace.name} unless {@code resourceAttributes} names them; or null
 * @param qualifyServiceName report {@code service.name} as {@code name.namespace} when a
 *     namespace is set (the way Istio sidecars name services in Zipkin)
 * @param resourceAttributes further resource attributes ({@code otel.resource.attributes});
 *     they win over the namespace attributes
 * @param propagators the propagators, in order, by their {@code otel.propagators} names:
 *     {@code meshtrace}, {@code tracecontext}, {@code baggage}, {@code b3} (single header),
 *     {@code b3multi}; empty for none
 * @param propagation formats the {@code meshtrace} propagator injects (non-empty); it extracts all
 * @param exporter where spans go
 * @param sampling the sampler ({@code otel.traces.sampler} + {@code .arg})
 */
public record MeshSettings(
    String serviceName,
    String serviceNamespace,
    boolean qualifyServiceName,
    Map<String, String> resourceAttributes,
    List<String> propagators,
    Set<PropagationFormat> propagation,
    Exporter exporter,
    Sampling sampling) {

  /** The propagator names {@link MeshTelemetry#create} builds. */
  public static final Set<String> PROPAGATOR_NAMES =
      Set.of(MeshOptions.SPI_NAME, "tracecontext", "baggage", "b3", "b3multi");

  /** {@code otel.propagators} when it is not set: the mesh propagator and W3C baggage. */
  public static final List<String> DEFAULT_PROPAGATORS = List.of(MeshOptions.SPI_NAME, "baggage");

  public MeshSettings {
    if (serviceName == null || !MeshOptions.isPrintableWord(serviceName)) {
      throw new IllegalArgumentException(
          "serviceName=" + serviceName + ": must be printable ASCII without spaces");
    }
    if (serviceNamespace != null && serviceNamespace.isBlank()) {
      serviceNamespace = null;
    }
    if (serviceNamespace != null && !MeshOptions.isPrintableWord(serviceNamespace)) {
      throw new IllegalArgumentException(
          "serviceNamespace=" + serviceNamespace + ": must be printable ASCII without spaces");
    }
    resourceAttributes = Map.copyOf(Objects.requireNonNull(resourceAttributes, "resourceAttributes"));
    propagators = List.copyOf(Objects.requireNonNull(propagators, "propagators"));
    for (String name : propagators) {
      if (!PROPAGATOR_NAMES.contains(name)) {
        throw new IllegalArgumentException("propagators=" + propagators + ": " + name
            + " is not one of meshtrace, tracecontext, baggage, b3, b3multi");
      }
    }
    Objects.requireNonNull(propagation, "propagation");
    if (propagation.isEmpty()) {
      throw new IllegalArgumentException("propagation=[]: must name at least one of w3c, b3multi, b3single");
    }
    propagation = Set.copyOf(EnumSet.copyOf(propagation));
    Objects.requireNonNull(exporter, "exporter");
    Objects.requireNonNull(sampling, "sampling");
  }

  /**
   * Settings for {@code serviceName}: the meshtrace propagator injecting W3C + B3 multi and
   * W3C baggage, OTLP over gRPC to {@code localhost:4317}, parent-based sampling of every new
   * trace: OpenTelemetry's defaults, with the mesh's propagator.
   */
  public static MeshSettings of(String serviceName) {
    return new MeshSettings(serviceName, null, true, Map.of(), DEFAULT_PROPAGATORS,
        MeshOptions.DEFAULT_PROPAGATION, Exporter.defaults(ExportProtocol.OTLP_GRPC), Sampling.DEFAULT);
  }

  /**
   * Reads OpenTelemetry's settings and the {@code meshtrace.*} keys from {@code config}, e.g.
   * {@code DefaultConfigProperties.create(defaults)} (system properties, then {@code OTEL_*}
   * and {@code MESHTRACE_*} environment variables, then {@code defaults}).
   *
   * @throws io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException naming the key, the
   *     value and what was expected
   */
  public static MeshSettings fromConfig(ConfigProperties config) {
    return MeshSettingsParser.parse(config);
  }

  /** {@link #fromConfig} over {@code properties} alone (keys as system properties name them). */
  public static MeshSettings fromProperties(Map<String, String> properties) {
    return fromConfig(DefaultConfigProperties.createFromMap(properties));
  }

  /** {@link #fromConfig} over system properties, then the environment, then {@code defaults}. */
  public static MeshSettings fromEnvironment(Map<String, String> defaults) {
    return fromConfig(DefaultConfigProperties.create(
        defaults, ComponentLoader.forClassLoader(MeshSettings.class.getClassLoader())));
  }

  /**
   * Parses a command-line duration: milliseconds ({@code 1500}) or a number with a unit
   * {@code ms}, {@code s}, {@code m}, {@code h}, {@code d} ({@code 15m}).
   *
   * @throws IllegalArgumentException naming {@code key}
   */
  public static Duration parseDuration(String key, String value) {
    return MeshSettingsParser.duration(key, value);
  }

  public MeshSettings withServiceName(String name) {
    return new MeshSettings(name, serviceNamespace, qualifyServiceName, resourceAttributes, propagators,
        propagation, exporter, sampling);
  }

  public MeshSettings withNamespace(String namespace) {
    return new MeshSettings(serviceName, namespace, qualifyServiceName, resourceAttributes, propagators,
        propagation, exporter, sampling);
  }

  public MeshSettings withQualifyServiceName(boolean qualify) {
    return new MeshSettings(serviceName, serviceNamespace, qualify, resourceAttributes, propagators,
        propagation, exporter, sampling);
  }

  public MeshSettings withResourceAttributes(Map<String, String> attributes) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, attributes, propagators,
        propagation, exporter, sampling);
  }

  /** The propagators by their {@code otel.propagators} names, e.g. {@code List.of("meshtrace")}. */
  public MeshSettings withPropagators(List<String> names) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, resourceAttributes, names,
        propagation, exporter, sampling);
  }

  /** The formats the meshtrace propagator injects. */
  public MeshSettings withPropagation(Set<PropagationFormat> formats) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, resourceAttributes, propagators,
        formats, exporter, sampling);
  }

  /** Injected formats chosen by the mesh version rule: B3 up to 1.18.0.124, W3C after. */
  public MeshSettings withMeshVersion(String meshVersion) {
    return withPropagation(MeshPropagation.formatsFor(MeshOptions.MESH_VERSION, meshVersion));
  }

  public MeshSettings withExporter(Exporter newExporter) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, resourceAttributes, propagators,
        propagation, newExporter, sampling);
  }

  public MeshSettings withSampling(Sampling newSampling) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, resourceAttributes, propagators,
        propagation, exporter, newSampling);
  }

  /** Parent-based sampling of {@code ratio} (0.0 to 1.0) of new traces; a parent's decision wins. */
  public MeshSettings withSamplingRatio(double ratio) {
    return withSampling(new Sampling(true, ratio));
  }

  /**
   * The resource: OpenTelemetry's default (SDK and process attributes), the namespace
   * attributes, {@link #resourceAttributes} over them, {@code service.name}, then the
   * qualified name.
   */
  public Resource resource() {
    Map<String, String> attributes = new LinkedHashMap<>(resourceAttributes);
    attributes.put(MeshResource.SERVICE_NAME.getKey(), serviceName);
    io.opentelemetry.api.common.AttributesBuilder builder = io.opentelemetry.api.common.Attributes.builder();
    attributes.forEach(builder::put);
    Resource resource = Resource.getDefault()
        .merge(MeshResource.namespace(serviceNamespace))
        .merge(Resource.create(builder.build()));
    return MeshResource.qualify(resource, serviceNamespace, qualifyServiceName);
  }

  /** The {@code service.name} the spans carry, e.g. {@code productpage.bookinfo}. */
  public String reportedServiceName() {
    return resource().getAttribute(MeshResource.SERVICE_NAME);
  }

  /**
   * The sampler, as {@code otel.traces.sampler} names them: {@code always_on} is
   * {@code (false, 1.0)}, {@code parentbased_traceidratio} with {@code .arg=0.25} is
   * {@code (true, 0.25)}.
   *
   * @param parentBased a parent's decision wins; the ratio applies to new traces only
   * @param ratio the share of traces sampled, 0.0 to 1.0
   */
  public record Sampling(boolean parentBased, double ratio) {

    /** OpenTelemetry's default, {@code parentbased_always_on}. */
    public static final Sampling DEFAULT = new Sampling(true, 1.0);

    public Sampling {
      if (!(ratio >= 0 && ratio <= 1)) {
        throw new IllegalArgumentException("ratio=" + ratio
            + ": must be a ratio between 0.0 and 1.0 (0.25 samples a quarter of new traces)");
      }
    }

    public Sampler toSampler() {
      Sampler root = ratio == 1.0 ? Sampler.alwaysOn() : ratio == 0.0 ? Sampler.alwaysOff() : Sampler.traceIdRatioBased(ratio);
      return parentBased ? Sampler.parentBased(root) : root;
    }
  }

  /**
   * Where spans go.
   *
   * @param protocol wire format and transport
   * @param endpoint full URL of the receiver; for OTLP gRPC {@code http://host:4317}
   * @param headers sent with every export, e.g. an {@code authorization} token
   * @param timeout per export request
   * @param batchDelay how long finished spans wait before a batch is sent
   */
  public record Exporter(
      ExportProtocol protocol,
      URI endpoint,
      Map<String, String> headers,
      Duration timeout,
      Duration batchDelay) {

    /** OpenTelemetry's {@code otel.bsp.schedule.delay} default. */
    public static final Duration DEFAULT_BATCH_DELAY = Duration.ofSeconds(5);
    /** OpenTelemetry's exporter timeout default. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public Exporter {
      Objects.requireNonNull(protocol, "protocol");
      if (protocol != ExportProtocol.NONE) {
        Objects.requireNonNull(endpoint, "endpoint");
        String scheme = endpoint.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || endpoint.getHost() == null) {
          throw new IllegalArgumentException(
              "exporter.endpoint=" + endpoint + ": must be an http or https URL with a host");
        }
      }
      headers = Map.copyOf(new LinkedHashMap<>(Objects.requireNonNull(headers, "headers")));
      for (Map.Entry<String, String> header : headers.entrySet()) {
        if (!HttpToken.isToken(header.getKey()) || !MeshOptions.isHeaderValue(header.getValue())) {
          throw new IllegalArgumentException("exporter.headers=" + header.getKey()
              + "=...: header names must be HTTP tokens and values printable ASCII");
        }
      }
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(batchDelay, "batchDelay");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("exporter.timeout=" + timeout + ": must be positive");
      }
      if (batchDelay.isNegative()) {
        throw new IllegalArgumentException("exporter.batchDelay=" + batchDelay + ": must not be negative");
      }
    }

    /** {@code protocol} to its default endpoint, no headers, 10 s timeout, 5 s batch delay. */
    public static Exporter defaults(ExportProtocol protocol) {
      URI endpoint = protocol == ExportProtocol.NONE ? null : URI.create(protocol.defaultEndpoint());
      return new Exporter(protocol, endpoint, Map.of(), DEFAULT_TIMEOUT, DEFAULT_BATCH_DELAY);
    }

    public static Exporter of(ExportProtocol protocol, String endpoint) {
      return defaults(protocol).withEndpoint(URI.create(endpoint));
    }

    public Exporter withEndpoint(URI uri) {
      return new Exporter(protocol, uri, headers, timeout, batchDelay);
    }

    public Exporter withHeaders(Map<String, String> newHeaders) {
      return new Exporter(protocol, endpoint, newHeaders, timeout, batchDelay);
    }

    public Exporter withTimeout(Duration newTimeout) {
      return new Exporter(protocol, endpoint, headers, newTimeout, batchDelay);
    }

    public Exporter withBatchDelay(Duration delay) {
      return new Exporter(protocol, endpoint, headers, timeout, delay);
    }
  }
}
