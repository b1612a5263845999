package io.meshtrace.sdk;

import io.meshtrace.context.HttpToken;
import io.meshtrace.context.MeshPropagation;
import io.meshtrace.context.PropagationFormat;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * What {@link MeshTelemetry} needs to know about the application and its mesh. Immutable and
 * validated on construction; {@link #fromProperties} reads the {@code meshtrace.*} keys.
 *
 * <pre>
 * meshtrace.service.name=productpage          # required (falls back to otel.service.name)
 * meshtrace.service.namespace=bookinfo        # optional
 * meshtrace.service.qualify=true              # service.name becomes productpage.bookinfo
 * meshtrace.propagation=b3                    # b3 | b3multi | b3single | w3c, or a list
 * meshtrace.mesh.version=1.18.0.124           # used when propagation is not set
 * meshtrace.exporter=zipkin                   # zipkin | zipkin-proto | zipkin-v1 | otlp-grpc | otlp-http | none
 * meshtrace.exporter.endpoint=http://zipkin:9411/api/v2/spans
 * meshtrace.exporter.headers=authorization=Bearer abc,x-tenant=blue
 * meshtrace.exporter.timeout=10s
 * meshtrace.exporter.delay=1s                 # batch schedule delay
 * meshtrace.sampling=100                      # percent of new traces sampled (parent-based)
 * </pre>
 *
 * @param serviceName the application's name, as the mesh knows it (e.g. {@code productpage})
 * @param serviceNamespace the namespace the application belongs to, or null
 * @param qualifyServiceName report {@code service.name} as {@code name.namespace} (the way
 *     Istio sidecars name services in Zipkin), so the app's spans group with its sidecar's
 * @param propagation formats injected on outgoing calls (non-empty); extraction accepts all
 * @param exporter where spans go
 * @param samplingPercent percent of new root traces sampled, 0 to 100; a parent's decision wins
 */
public record MeshSettings(
    String serviceName,
    String serviceNamespace,
    boolean qualifyServiceName,
    Set<PropagationFormat> propagation,
    Exporter exporter,
    double samplingPercent) {

  public static final String SERVICE_NAME = "meshtrace.service.name";
  public static final String SERVICE_NAMESPACE = "meshtrace.service.namespace";
  public static final String SERVICE_QUALIFY = "meshtrace.service.qualify";
  public static final String PROPAGATION = "meshtrace.propagation";
  public static final String MESH_VERSION = "meshtrace.mesh.version";
  public static final String EXPORTER = "meshtrace.exporter";
  public static final String EXPORTER_ENDPOINT = "meshtrace.exporter.endpoint";
  public static final String EXPORTER_HEADERS = "meshtrace.exporter.headers";
  public static final String EXPORTER_TIMEOUT = "meshtrace.exporter.timeout";
  public static final String EXPORTER_DELAY = "meshtrace.exporter.delay";
  public static final String SAMPLING = "meshtrace.sampling";

  /** Formats injected when neither the propagation nor the mesh version is configured. */
  public static final Set<PropagationFormat> DEFAULT_PROPAGATION =
      Set.copyOf(EnumSet.of(PropagationFormat.W3C, PropagationFormat.B3_MULTI));

  public MeshSettings {
    if (serviceName == null || serviceName.isBlank()) {
      throw new IllegalArgumentException(SERVICE_NAME + "=" + serviceName + ": must not be empty");
    }
    if (serviceNamespace != null && serviceNamespace.isBlank()) {
      serviceNamespace = null;
    }
    Objects.requireNonNull(propagation, "propagation");
    if (propagation.isEmpty()) {
      throw new IllegalArgumentException(
          PROPAGATION + "=: must name at least one of b3, b3multi, b3single, w3c");
    }
    propagation = Set.copyOf(EnumSet.copyOf(propagation));
    Objects.requireNonNull(exporter, "exporter");
    if (!(samplingPercent >= 0 && samplingPercent <= 100)) {
      throw new IllegalArgumentException(
          SAMPLING + "=" + samplingPercent + ": must be between 0 and 100");
    }
  }

  /** Settings for {@code serviceName}: W3C + B3 multi, Zipkin v2 JSON on localhost, 100 %. */
  public static MeshSettings of(String serviceName) {
    return new MeshSettings(
        serviceName, null, true, DEFAULT_PROPAGATION, Exporter.defaults(ExportProtocol.ZIPKIN_JSON), 100);
  }

  public MeshSettings withNamespace(String namespace) {
    return new MeshSettings(serviceName, namespace, qualifyServiceName, propagation, exporter, samplingPercent);
  }

  public MeshSettings withQualifyServiceName(boolean qualify) {
    return new MeshSettings(serviceName, serviceNamespace, qualify, propagation, exporter, samplingPercent);
  }

  public MeshSettings withPropagation(Set<PropagationFormat> formats) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, formats, exporter, samplingPercent);
  }

  /** Propagation chosen by the mesh version rule: B3 up to 1.18.0.124, W3C after. */
  public MeshSettings withMeshVersion(String meshVersion) {
    return withPropagation(MeshPropagation.formatsFor(MESH_VERSION, meshVersion));
  }

  public MeshSettings withExporter(Exporter exporter) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, propagation, exporter, samplingPercent);
  }

  public MeshSettings withSamplingPercent(double percent) {
    return new MeshSettings(serviceName, serviceNamespace, qualifyServiceName, propagation, exporter, percent);
  }

  /** The {@code service.name} resource attribute: {@code name.namespace} when qualified. */
  public String reportedServiceName() {
    return qualifyServiceName && serviceNamespace != null
        ? serviceName + "." + serviceNamespace
        : serviceName;
  }

  /**
   * Reads the {@code meshtrace.*} keys through {@code lookup} ({@code Map::get},
   * {@code System::getProperty}, an OpenTelemetry {@code ConfigProperties::getString}).
   *
   * @throws IllegalArgumentException naming the key, the value and what was expected
   */
  public static MeshSettings fromProperties(Function<String, String> lookup) {
    return MeshSettingsParser.parse(lookup);
  }

  /**
   * Parses a duration setting: milliseconds ({@code 1500}) or a number with a unit
   * {@code ms}, {@code s}, {@code m}, {@code h}, {@code d} ({@code 15m}).
   *
   * @throws IllegalArgumentException naming {@code key}
   */
  public static Duration parseDuration(String key, String value) {
    return MeshSettingsParser.duration(key, value);
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

    public Exporter {
      Objects.requireNonNull(protocol, "protocol");
      if (protocol != ExportProtocol.NONE) {
        Objects.requireNonNull(endpoint, "endpoint");
        String scheme = endpoint.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || endpoint.getHost() == null) {
          throw new IllegalArgumentException(
              EXPORTER_ENDPOINT + "=" + endpoint + ": must be an http or https URL with a host");
        }
      }
      headers = Map.copyOf(new LinkedHashMap<>(Objects.requireNonNull(headers, "headers")));
      for (Map.Entry<String, String> header : headers.entrySet()) {
        if (!HttpToken.isToken(header.getKey())
            || !MeshSettingsParser.isHeaderValue(header.getValue())) {
          throw new IllegalArgumentException(EXPORTER_HEADERS + "=" + header.getKey()
              + "=...: header names must be HTTP tokens and values printable ASCII");
        }
      }
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(batchDelay, "batchDelay");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(EXPORTER_TIMEOUT + "=" + timeout + ": must be positive");
      }
      if (batchDelay.isNegative()) {
        throw new IllegalArgumentException(EXPORTER_DELAY + "=" + batchDelay + ": must not be negative");
      }
    }

    /** {@code protocol} to its default endpoint, no headers, 10 s timeout, 1 s batch delay. */
    public static Exporter defaults(ExportProtocol protocol) {
      URI endpoint = protocol == ExportProtocol.NONE ? null : URI.create(protocol.defaultEndpoint());
      return new Exporter(protocol, endpoint, Map.of(), Duration.ofSeconds(10), Duration.ofSeconds(1));
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
