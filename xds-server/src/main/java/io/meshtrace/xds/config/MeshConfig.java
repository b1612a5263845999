package io.meshtrace.xds.config;

import io.meshtrace.context.MeshPropagation;
import io.meshtrace.context.PropagationFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The whole mesh as one immutable value, parsed and checked by {@link ConfigParser}.
 *
 * <p>Every nested value carries {@code path}, the YAML key path it came from
 * ({@code extensionProviders[0]}, {@code services[2].routes[0]}), so later checks can name it.
 *
 * @param meshVersion version of the mesh the sidecars belong to, or null
 * @param propagation trace context format the mesh propagates (explicit, or following
 *     {@code meshVersion}, or W3C)
 * @param propagationExplicit whether {@code propagation} was written in the file
 * @param providers {@code extensionProviders}, in file order
 * @param defaultProviders {@code defaultProviders.tracing}: provider names used when a tracing
 *     rule names none
 * @param tracing {@code tracing} rules, in file order
 * @param services {@code services}, in file order
 * @param sidecar listener ports of sidecars
 * @param gateway the ingress gateway: its port, routes and header repair
 * @param server ports and TLS of this control plane
 * @param warnings things that are allowed but probably not meant
 */
public record MeshConfig(
    String meshVersion,
    Propagation propagation,
    boolean propagationExplicit,
    List<Provider> providers,
    List<String> defaultProviders,
    List<TracingRule> tracing,
    List<Service> services,
    Sidecar sidecar,
    Gateway gateway,
    Server server,
    List<String> warnings) {

  /** Returns the provider with this name, or null. */
  public Provider provider(String name) {
    for (Provider p : providers) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    return null;
  }

  /** Returns the service with this name, or null. */
  public Service service(String name) {
    for (Service s : services) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  /** A tracing backend ({@code extensionProviders[i]}). */
  public sealed interface Provider
      permits OpenTelemetryGrpc, OpenTelemetryHttp, Zipkin, SkyWalking, Datadog {
    /** Unique provider name, referenced from {@code tracing[].providers[].name}. */
    String name();

    /** YAML path of this provider. */
    String path();

    /** Collector host name or IP. */
    String host();

    /** Collector port. */
    int port();

    /** Istio's {@code maxTagLength}: maximum length of the path tag, or null. */
    Integer maxTagLength();

    /** Whether the collector speaks HTTP/2 (gRPC). */
    boolean http2();
  }

  /** A request header (or gRPC metadata entry) sent to a collector. */
  public record Header(String name, String value) {}

  /** OpenTelemetry OTLP over gRPC. */
  public record OpenTelemetryGrpc(
      String name, String path, String host, int port, Integer maxTagLength,
      Duration timeout, List<Header> initialMetadata) implements Provider {
    @Override
    public boolean http2() {
      return true;
    }
  }

  /** OpenTelemetry OTLP over HTTP (protobuf). */
  public record OpenTelemetryHttp(
      String name, String path, String host, int port, Integer maxTagLength,
      String httpPath, Duration timeout, List<Header> headers) implements Provider {
    @Override
    public boolean http2() {
      return false;
    }
  }

  /** Zipkin v2 over HTTP, JSON or protobuf encoded. */
  public record Zipkin(
      String name, String path, String host, int port, Integer maxTagLength,
      String httpPath, boolean protoEncoding, boolean traceId128bit) implements Provider {
    @Override
    public boolean http2() {
      return false;
    }
  }

  /** Apache SkyWalking over gRPC. */
  public record SkyWalking(
      String name, String path, String host, int port, Integer maxTagLength,
      String accessToken) implements Provider {
    @Override
    public boolean http2() {
      return true;
    }
  }

  /** Datadog agent. */
  public record Datadog(
      String name, String path, String host, int port, Integer maxTagLength) implements Provider {
    @Override
    public boolean http2() {
      return false;
    }
  }

  /**
   * The trace context format the mesh propagates between its proxies, as written in
   * {@code propagation}: {@code b3} or {@code w3c}. Without it the format follows
   * {@code meshVersion} ({@link MeshPropagation}: B3 up to and including {@code 1.18.0.124},
   * W3C after it).
   */
  public enum Propagation {
    /** B3 multi-header ({@code x-b3-*}), Zipkin's format. */
    B3,
    /** W3C Trace Context ({@code traceparent}, {@code tracestate}). */
    W3C;

    /** Lower-case name as written in configuration: {@code b3} or {@code w3c}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code b3} or {@code w3c} ({@code tracecontext} too), any case.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Propagation parse(String value) {
      if (value != null) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
          case "b3":
            return B3;
          case "w3c":
          case "tracecontext":
            return W3C;
          default:
            break;
        }
      }
      throw new IllegalArgumentException("must be one of b3, w3c");
    }

    /**
     * The format a mesh of {@code meshVersion} propagates.
     *
     * @throws IllegalArgumentException naming {@code meshVersion} when
     *     {@link MeshPropagation#isVersion} rejects the value
     */
    public static Propagation forMeshVersion(String meshVersion) {
      return MeshPropagation.formatsFor("meshVersion", meshVersion)
          .contains(PropagationFormat.B3_MULTI) ? B3 : W3C;
    }
  }

  /** Which side of a sidecar a tracing rule applies to (Istio's {@code match.mode}). */
  public enum Mode {
    /** Outbound (the proxy is the client). */
    CLIENT,
    /** Inbound (the proxy is the server). */
    SERVER,
    /** Both. */
    CLIENT_AND_SERVER;

    /** Whether this mode covers the given direction. */
    public boolean covers(boolean outbound) {
      return this == CLIENT_AND_SERVER || (outbound ? this == CLIENT : this == SERVER);
    }
  }

  /**
   * One {@code tracing[i]} rule (Istio Telemetry's {@code tracing}). Null fields inherit from
   * earlier rules; rules with {@code selector.services} apply after mesh-wide rules.
   */
  public record TracingRule(
      String path,
      List<String> services,
      Mode mode,
      String provider,
      Double randomSamplingPercentage,
      Double clientSamplingPercentage,
      Double overallSamplingPercentage,
      Boolean useRequestIdForTraceSampling,
      Integer maxPathTagLength,
      Boolean verbose,
      Boolean disableSpanReporting,
      Map<String, CustomTag> customTags) {}

  /** Kinds of custom span tags Envoy can add. */
  public enum TagKind {
    LITERAL, ENVIRONMENT, HEADER, METADATA
  }

  /** Where {@code metadata} custom tags read from. */
  public enum MetadataKind {
    REQUEST, ROUTE, CLUSTER, HOST
  }

  /**
   * A custom tag ({@code customTags.<tag>}).
   *
   * @param value literal value (LITERAL)
   * @param name environment variable or header name (ENVIRONMENT, HEADER)
   * @param metadataKey filter name key (METADATA)
   * @param metadataPath key path inside the filter's metadata (METADATA)
   */
  public record CustomTag(
      String path, String tag, TagKind kind, String value, String name, String defaultValue,
      MetadataKind metadataKind, String metadataKey, List<String> metadataPath) {}

  /** Application protocol of a service port. */
  public enum Protocol {
    HTTP, HTTP2, GRPC;

    /** Whether upstream connections must use HTTP/2. */
    public boolean http2() {
      return this != HTTP;
    }
  }

  /** A service port (Istio ServiceEntry's {@code ports[]}). */
  public record Port(String path, String name, int number, int targetPort, Protocol protocol) {}

  /**
   * A workload address of a service. {@code ports} maps port names to the endpoint's own port
   * (default: the port's {@code targetPort}).
   */
  public record Endpoint(String path, String address, Map<String, Integer> ports, int weight) {}

  /** Per-route tracing overrides ({@code services[i].routes[j].tracing}). */
  public record RouteTracing(
      String path,
      Double randomSamplingPercentage,
      Double clientSamplingPercentage,
      Double overallSamplingPercentage,
      Map<String, CustomTag> customTags) {}

  /** A route of a service matched by path prefix, with its own tracing. */
  public record Route(String path, String name, String prefix, RouteTracing tracing) {}

  /**
   * A service of the mesh.
   *
   * @param hosts extra host names the service answers to (its name always does)
   * @param dependencies services its sidecar may call, or null for all
   */
  public record Service(
      String path, String name, List<String> hosts, List<Port> ports, List<Endpoint> endpoints,
      List<String> dependencies, List<Route> routes) {}

  /**
   * A route of the gateway ({@code gateway.routes[i]}): requests whose path starts with
   * {@code prefix} go to a port of a service.
   *
   * @param port the service port number; its first port when the YAML names none
   */
  public record GatewayRoute(String path, String prefix, String service, int port) {}

  /**
   * Trace header repair at the gateway ({@code gateway.headerRepair}). When enabled the gateway
   * runs in two stages (an edge listener without tracing whose ext_proc filter calls ext-proc,
   * forwarding to an internal listener that traces), so the tracer reads the repaired headers.
   *
   * @param extProcHost host name or IP of the ext-proc service
   * @param extProcPort its gRPC port
   * @param timeout ext_proc {@code message_timeout}
   * @param failureModeAllow let requests through unchanged when ext-proc fails or is late
   * @param markerHeader header ext-proc sets on repaired requests, tagged
   *     {@code meshtrace.repair} on the gateway span; null for no tag
   */
  public record HeaderRepair(
      boolean enabled, String extProcHost, int extProcPort, Duration timeout,
      boolean failureModeAllow, String markerHeader) {}

  /**
   * The ingress gateway (nodes with the role {@code gateway}).
   *
   * @param address address of its HTTP listener
   * @param port port of its HTTP listener
   * @param hosts domains of its virtual host
   * @param routes its routes, in match order
   */
  public record Gateway(String address, int port, List<String> hosts, List<GatewayRoute> routes,
      HeaderRepair headerRepair) {}

  /** Ports of the sidecar's catch-all listeners (Istio's 15006 inbound, 15001 outbound). */
  public record Sidecar(int inboundPort, int outboundPort) {}

  /**
   * TLS of the ADS port.
   *
   * @param certChain PEM certificate chain, or null when {@code keyStore} is used
   * @param privateKey PEM PKCS#8 private key
   * @param keyStore PKCS#12 key store holding the server key and chain
   * @param keyStorePassword its password
   * @param clientCa PEM CA certificates client certificates must chain to (enables mTLS)
   * @param requireClientCert reject clients without a certificate (else optional)
   */
  public record Tls(
      Path certChain, Path privateKey, Path keyStore, String keyStorePassword, Path clientCa,
      boolean requireClientCert) {}

  /** Addresses, ports and credentials of this control plane. */
  public record Server(
      String adsAddress, int adsPort, String adminAddress, int adminPort, Tls tls,
      Path adminTokenFile) {}
}
