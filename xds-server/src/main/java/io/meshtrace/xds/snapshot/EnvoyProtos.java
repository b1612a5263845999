package io.meshtrace.xds.snapshot;

import com.google.common.net.InetAddresses;
import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshtrace.xds.config.MeshConfig;

/** Envoy v3 proto fragments that every node role's resources are made of. */
final class EnvoyProtos {

  static final String ROUTER_FILTER = "envoy.filters.http.router";
  static final String EXT_PROC_FILTER = "envoy.filters.http.ext_proc";
  static final String HCM_FILTER = "envoy.filters.network.http_connection_manager";
  static final String INTERNAL_UPSTREAM_SOCKET = "envoy.transport_sockets.internal_upstream";
  /** Cluster (and, for proxyless gRPC, stat prefix) of the ext-proc service. */
  static final String EXT_PROC_CLUSTER = "ext_proc";
  /**
   * The locality of endpoints whose config names none: every field empty, which Envoy, grpc-java
   * and grpc-js all read as "no particular locality" (grpc-js gives its own DNS results this
   * one). The message is always set: grpc-js-xds rejects a {@code LocalityLbEndpoints} without.
   */
  static final Locality DEFAULT_LOCALITY = Locality.getDefaultInstance();

  static final Duration CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(1).build();
  private static final String HTTP_PROTOCOL_OPTIONS =
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private EnvoyProtos() {}

  static Address address(String host, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
        .setAddress(host).setPortValue(port)).build();
  }

  /** {@code host:port}, with brackets around an IPv6 address ({@code [::1]:4317}). */
  static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  /** Resources of the other types come over the same ADS stream. */
  static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  /** One endpoint in the default locality. */
  static ClusterLoadAssignment loadAssignment(String cluster, String host, int port) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(cluster)
        .addEndpoints(LocalityLbEndpoints.newBuilder()
            .setLocality(DEFAULT_LOCALITY)
            .addLbEndpoints(LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder().setAddress(address(host, port)))))
        .build();
  }

  /**
   * A cluster of one configured host (a collector, ext-proc): STATIC for an IP address,
   * STRICT_DNS for a host name.
   */
  static Cluster.Builder hostCluster(String name, String host, int port) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(InetAddresses.isInetAddress(host) ? Cluster.DiscoveryType.STATIC
            : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLoadAssignment(loadAssignment(name, host, port));
  }

  /** Upstream HTTP/2 (gRPC backends, OTLP/gRPC and SkyWalking collectors, ext-proc). */
  static void http2(Cluster.Builder c) {
    c.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(
        HttpProtocolOptions.newBuilder()
            .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
            .build()));
  }

  static ListenerFilter originalDst() {
    return ListenerFilter.newBuilder()
        .setName("envoy.filters.listener.original_dst")
        .setTypedConfig(Any.pack(OriginalDst.getDefaultInstance()))
        .build();
  }

  static Filter hcmFilter(HttpConnectionManager hcm) {
    return Filter.newBuilder()
        .setName(HCM_FILTER)
        .setTypedConfig(Any.pack(hcm))
        .build();
  }

  static HttpFilter router() {
    return HttpFilter.newBuilder()
        .setName(ROUTER_FILTER)
        .setTypedConfig(Any.pack(Router.getDefaultInstance()))
        .build();
  }

  /**
   * The ext_proc filter: request headers only (response headers SKIP, no bodies, no trailers),
   * {@code failure_mode_allow} and {@code message_timeout} from the config.
   */
  static ExternalProcessor extProc(MeshConfig.HeaderRepair repair, GrpcService svc) {
    return ExternalProcessor.newBuilder()
        .setGrpcService(svc)
        .setFailureModeAllow(repair.failureModeAllow())
        .setMessageTimeout(duration(repair.timeout()))
        .setProcessingMode(ProcessingMode.newBuilder()
            .setRequestHeaderMode(ProcessingMode.HeaderSendMode.SEND)
            .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SKIP)
            .setRequestTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
            .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
            .setRequestBodyMode(ProcessingMode.BodySendMode.NONE)
            .setResponseBodyMode(ProcessingMode.BodySendMode.NONE))
        .build();
  }
}
