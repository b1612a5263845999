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
 * What a key means when the file leaves it out is said here, next to the value it sets
 * ({@code DEFAULT...} constants), not in the parser.
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
    return providers.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
  }

  /** Returns the service with this name, or null. */
  public Service service(String name) {
    return services.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
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

  /** OpenTelemetry OTLP over gRPC. */
  public record OpenTelemetryGrpc(String name, String path, String host, int port,
      Integer maxTagLength, Duration timeout, List<Header> initialMetadata,
      List<ResourceDetector> resourceDetectors) implements Provider {
    @Override
    public boolean http2() {
      return true;
    }
  }

  /** OpenTelemetry OTLP over HTTP (protobuf). */
  public record OpenTelemetryHttp(
      String name, String path, String host, int port, Integer maxTagLength,
      String httpPath, Duration timeout, List<Header> headers,
      List<ResourceDetector> resourceDetectors, DynatraceSampler sampler) implements Provider {
    /** Without {@code http.path}. */
    public static final String DEFAULT_PATH = "/";
    /** Without {@code http.timeout} (Envoy's {@code HttpUri} requires one). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    @Override
    public boolean http2() {
      return false;
    }
  }

  /** Zipkin v2 over HTTP, JSON or protobuf encoded. */
  public record Zipkin(
      String name, String path, String host, int port, Integer maxTagLength,
      String httpPath, boolean protoEncoding, boolean traceId128bit) implements Provider {
    /** The collector path without {@code path}: Zipkin's v2 span endpoint. */
    public static final String DEFAULT_PATH = "/api/v2/spans";

    @Override
    public boolean http2() {
      return false;
    }
  }

  /** Apache SkyWalking over gRPC; {@code accessToken} (or null) comes from its source. */
  public record SkyWalking(
      String name, String path, String host, int port, Integer maxTagLength,
      String accessToken, SecretRef accessTokenSource) implements Provider {
    @Override
    public boolean http2() {
      return true;
    }

    @Override
    public String toString() {
      return "SkyWalking[" + name + ", " + host + ":" + port + ", " + accessTokenSource + "]";
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

    /** Without {@code propagation} or {@code meshVersion}. */
    public static final Propagation DEFAULT = W3C;

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
   * One {@code tracing[i]} rule or Telemetry {@code spec.tracing} entry; null fields inherit,
   * selecting rules apply after mesh-wide ones. {@code replaceCustomTags}: its tags replace
   * earlier ones (Telemetry, as in Istio) instead of merging by name.
   */
  public record TracingRule(
      String path, List<String> services, Mode mode, String provider,
      Double randomSamplingPercentage, Double clientSamplingPercentage,
      Double overallSamplingPercentage, Boolean useRequestIdForTraceSampling,
      Integer maxPathTagLength, Boolean verbose, Boolean disableSpanReporting,
      Map<String, CustomTag> customTags, boolean replaceCustomTags) {
    /** Istio's random sampling percentage when no rule sets one. */
    public static final double DEFAULT_RANDOM_SAMPLING = 1.0;
    /** Without {@code match.mode}: the rule covers both directions. */
    public static final Mode DEFAULT_MODE = Mode.CLIENT_AND_SERVER;
  }

  /** Where {@code metadata} custom tags read from. */
  public enum MetadataKind {
    REQUEST, ROUTE, CLUSTER, HOST;

    /** Without {@code metadata.kind}. */
    public static final MetadataKind DEFAULT = REQUEST;
  }

  /**
   * A custom span tag ({@code customTags.<tag>}), one of Envoy's four kinds. A
   * {@code defaultValue} the file leaves out is the empty string, as in Envoy.
   */
  public sealed interface CustomTag {
    /** YAML path of the tag's kind, {@code tracing[0].customTags.pod.environment}. */
    String path();

    /** The span tag name. */
    String tag();

    /** A fixed value: {@code {literal: {value: bookinfo}}}. */
    record Literal(String path, String tag, String value) implements CustomTag {}

    /** An environment variable of the proxy: {@code {environment: {name: POD_NAME}}}. */
    record Environment(String path, String tag, String name, String defaultValue)
        implements CustomTag {
      public Environment {
        defaultValue = defaultValue == null ? "" : defaultValue;
      }
    }

    /** A request header: {@code {header: {name: end-user, defaultValue: anonymous}}}. */
    record RequestHeader(String path, String tag, String name, String defaultValue)
        implements CustomTag {
      public RequestHeader {
        defaultValue = defaultValue == null ? "" : defaultValue;
      }
    }

    /**
     * A metadata value, {@code {metadata: {kind: route, key: envoy.filters.http.rbac, path: [a]}}}:
     * {@code key} is the filter name ("" when absent: Envoy's rules report it), {@code keyPath}
     * the path inside that filter's metadata.
     */
    record Metadata(String path, String tag, MetadataKind kind, String key,
        List<String> keyPath, String defaultValue) implements CustomTag {
      public Metadata {
        key = key == null ? "" : key;
        keyPath = List.copyOf(keyPath);
        defaultValue = defaultValue == null ? "" : defaultValue;
      }
    }
  }

  /** Application protocol of a service port. */
  public enum Protocol {
    HTTP, HTTP2, GRPC;

    /** Whether upstream connections must use HTTP/2. */
    public boolean http2() {
      return this != HTTP;
    }

    /** Without {@code protocol}. */
    public static final Protocol DEFAULT = HTTP;
  }

  /**
   * A service port (Istio ServiceEntry's {@code ports[]}). Without {@code name} it is
   * {@link #defaultName}; without {@code targetPort} the endpoints listen on {@code number}.
   */
  public record Port(String path, String name, int number, int targetPort, Protocol protocol) {
    /** The name of an unnamed port: {@code port-9080}. */
    public static String defaultName(int number) {
      return "port-" + number;
    }
  }

  /**
   * A workload address of a service. {@code ports} maps port names to the endpoint's own port
   * (default: the port's {@code targetPort}).
   */
  public record Endpoint(String path, String address, Map<String, Integer> ports, int weight) {
    /** Load balancing weight without {@code weight}. */
    public static final int DEFAULT_WEIGHT = 1;
  }

  /**
   * Where a service's endpoints run ({@code services[i].locality}), as Envoy's
   * {@code config.core.v3.Locality}: a region holds zones, a zone holds sub-zones. Each is ""
   * when the file does not say; {@link #NONE} is the locality of a service without one.
   */
  public record Locality(String region, String zone, String subZone) {
    /** No locality given: every field empty. */
    public static final Locality NONE = new Locality("", "", "");
  }

  /** Per-route tracing overrides ({@code services[i].routes[j].tracing}). */
  public record RouteTracing(
      String path,
      Double randomSamplingPercentage,
      Double clientSamplingPercentage,
      Double overallSamplingPercentage,
      Map<String, CustomTag> customTags) {}

  /**
   * A route of a service matched by path prefix, with its own tracing. Without {@code name} it
   * is {@link #defaultName}, without {@code prefix} {@link #DEFAULT_PREFIX}.
   */
  public record Route(String path, String name, String prefix, RouteTracing tracing) {
    /** Matches every path. */
    public static final String DEFAULT_PREFIX = "/";

    /** The name of the {@code index}th route when the file does not name it: {@code route-0}. */
    public static String defaultName(int index) {
      return "route-" + index;
    }
  }

  /**
   * A service of the mesh.
   *
   * @param hosts extra host names the service answers to (its name always does)
   * @param dependencies services its sidecar may call, or null for all
   * @param locality where its endpoints run; {@link Locality#NONE} when not given, never null
   */
  public record Service(
      String path, String name, List<String> hosts, List<Port> ports, List<Endpoint> endpoints,
      List<String> dependencies, List<Route> routes, Locality locality) {
    public Service {
      locality = locality == null ? Locality.NONE : locality;
    }
  }

  /**
   * A route of the gateway ({@code gateway.routes[i]}): requests whose path starts with
   * {@code prefix} go to a port of a service.
   *
   * @param port the service port number; its first port when the YAML names none
   */
  public record GatewayRoute(String path, String prefix, String service, int port) {
    /** Without {@code prefix}: every path. */
    public static final String DEFAULT_PREFIX = "/";
  }

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
   * @param tls TLS (mTLS with a client certificate) of the {@code ext_proc} cluster, or null
   */
  public record HeaderRepair(boolean enabled, String extProcHost, int extProcPort,
      Duration timeout, boolean failureModeAllow, String markerHeader, UpstreamTls tls) {
    /**
     * Without {@code headerRepair} or its keys: off; ext-proc's gRPC port 18080; Envoy's own
     * {@code message_timeout} of 200 ms, stated; requests pass when ext-proc fails; repaired
     * requests marked with {@code x-meshtrace-repair}; plaintext to ext-proc.
     */
    public static final HeaderRepair DEFAULT = new HeaderRepair(false, null, 18080,
        Duration.ofMillis(200), true, "x-meshtrace-repair", null);
  }

  /**
   * The ingress gateway (nodes with the role {@code gateway}).
   *
   * @param address address of its HTTP listener
   * @param port port of its HTTP listener
   * @param hosts domains of its virtual host
   * @param routes its routes, in match order
   */
  public record Gateway(String address, int port, List<String> hosts, List<GatewayRoute> routes,
      HeaderRepair headerRepair) {
    /** Without {@code address}: every interface (the gateway takes traffic from outside). */
    public static final String DEFAULT_ADDRESS = "0.0.0.0";
    /** Without {@code port}. */
    public static final int DEFAULT_PORT = 8080;
    /** Without {@code hosts}: any domain. */
    public static final List<String> DEFAULT_HOSTS = List.of("*");
  }

  /** Ports of the sidecar's catch-all listeners (Istio's 15006 inbound, 15001 outbound). */
  public record Sidecar(int inboundPort, int outboundPort) {
    /** Istio's ports, without {@code sidecar} or its keys. */
    public static final Sidecar DEFAULT = new Sidecar(15006, 15001);
  }

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

  /**
   * Addresses, ports, credentials (admin write and read-only token files) and what one xDS
   * client may cost ({@code server.limits}) of this server.
   */
  public record Server(
      String adsAddress, int adsPort, String adminAddress, int adminPort, Tls tls,
      Path adminTokenFile, Path adminReadTokenFile, AdsLimits limits) {
    /**
     * Without {@code server} or its keys: ADS on 127.0.0.1:18000, the admin API on
     * 127.0.0.1:18001, no TLS, no admin token (reads open, writes refused), the default limits.
     */
    public static final Server DEFAULT = new Server("127.0.0.1", 18000, "127.0.0.1", 18001,
        null, null, null, AdsLimits.DEFAULTS);
  }
}
