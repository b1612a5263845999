package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.util.Durations;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.grpc.xds.XdsNameResolverProvider;
import io.meshtrace.context.Verdict;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service driven by a real ext_proc client: grpc-java's xDS ExternalProcessorFilter. A
 * java-control-plane xDS server gives the gRPC client a Listener (api_listener HCM with the
 * ext_proc filter, then the router) and an EDS cluster pointing at a backend that records the
 * metadata it receives. Needs GRPC_EXPERIMENTAL_XDS_EXT_PROC_ON_CLIENT=true (set by the pom).
 */
class XdsExtProcEndToEndTest {

  private static final String SCHEME = "xds-meshtrace";
  private static final String TARGET = "backend.mesh.local";
  /** A second listener whose ext_proc filter sends every event, bodies in gRPC mode. */
  private static final String TARGET_ALL = "backend-all-events.mesh.local";
  private static final String CLUSTER = "backend-cluster";
  private static final String INSECURE_CREDENTIALS =
      "type.googleapis.com/envoy.extensions.grpc_service.channel_credentials.insecure.v3.InsecureCredentials";
  /**
   * GoogleGrpc.channel_credentials_plugin (repeated Any), absent from the 1.0.49 protos; the
   * number is the one in grpc-xds's shaded descriptor (GoogleGrpc.CHANNEL_CREDENTIALS_PLUGIN_FIELD_NUMBER).
   */
  private static final int CHANNEL_CREDENTIALS_PLUGIN_FIELD = 9;
  /** ProcessingMode.BodySendMode.GRPC in grpc-xds's shaded protos. */
  private static final int GRPC_BODY_MODE = 5;

  private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
  private static final Pattern UUID_V4 =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  private static final BlockingQueue<Metadata> received = new LinkedBlockingQueue<>();
  private static Server backend;
  private static Server xds;
  private static ExtProcServer extProc;
  private static ManagedChannel channel;
  private static ManagedChannel allEventsChannel;
  private static XdsNameResolverProvider resolver;

  @BeforeAll
  static void start() throws Exception {
    assertThat(System.getenv("GRPC_EXPERIMENTAL_XDS_EXT_PROC_ON_CLIENT"))
        .as("the ext_proc client filter is off without this variable (see the module pom)")
        .isEqualTo("true");

    HealthStatusManager health = new HealthStatusManager();
    ServerInterceptor recorder = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        received.add(headers);
        return next.startCall(call, headers);
      }
    };
    backend = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(health.getHealthService(), recorder))
        .build().start();

    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0");
    extProc = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();

    SimpleCache<String> cache = new SimpleCache<>(node -> "meshtrace-test");
    cache.setSnapshot("meshtrace-test", snapshot(extProc.port(), backend.getPort()));
    V3DiscoveryServer discovery = new V3DiscoveryServer(cache);
    xds = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            InsecureServerCredentials.create())
        .addService(discovery.getAggregatedDiscoveryServiceImpl())
        .build().start();

    Map<String, ?> bootstrap = Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + xds.getPort(),
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3", "trusted_xds_server"))),
        "node", Map.of("id", "meshtrace-xds-test", "cluster", "meshtrace-test"));
    resolver = XdsNameResolverProvider.createForTest(SCHEME, bootstrap);
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder(SCHEME + ":///" + TARGET, InsecureChannelCredentials.create())
        .build();
    allEventsChannel = Grpc.newChannelBuilder(SCHEME + ":///" + TARGET_ALL,
        InsecureChannelCredentials.create()).build();
    health.setStatus("backend", HealthCheckResponse.ServingStatus.SERVING);
  }

  @AfterAll
  static void stop() throws Exception {
    for (ManagedChannel open : new ManagedChannel[] {channel, allEventsChannel}) {
      if (open != null) {
        open.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    for (Server server : new Server[] {xds, backend}) {
      if (server != null) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    if (extProc != null) {
      extProc.shutdownNow();
    }
  }

  static Snapshot snapshot(int extProcPort, int backendPort) {
    ProcessingMode requestHeadersOnly = ProcessingMode.newBuilder()
        .setRequestHeaderMode(ProcessingMode.HeaderSendMode.SEND)
        .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SKIP)
        .setRequestTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
        .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
        .setRequestBodyMode(ProcessingMode.BodySendMode.NONE)
        .setResponseBodyMode(ProcessingMode.BodySendMode.NONE)
        .build();
    // Every event gRPC's filter can send; response messages in its GRPC body mode (value 5,
    // newer than the 1.0.49 protos), where the processor must send each message back. (Request
    // messages in GRPC mode stalled inside grpc-java 1.85.1's filter even when echoed exactly as
    // its own tests do; StreamHandlingTest covers that echo over the wire.)
    ProcessingMode everything = ProcessingMode.newBuilder()
        .setRequestHeaderMode(ProcessingMode.HeaderSendMode.SEND)
        .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SEND)
        .setRequestTrailerMode(ProcessingMode.HeaderSendMode.SEND)
        .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SEND)
        .setRequestBodyMode(ProcessingMode.BodySendMode.NONE)
        .setResponseBodyModeValue(GRPC_BODY_MODE)
        .build();
    return Snapshot.create(List.of(cluster()), List.of(endpoints(backendPort)),
        List.of(listener(TARGET, extProcPort, requestHeadersOnly),
            listener(TARGET_ALL, extProcPort, everything)),
        List.of(), List.of(), "1");
  }

  static Listener listener(String name, int extProcPort, ProcessingMode mode) {
    Any insecure = Any.newBuilder().setTypeUrl(INSECURE_CREDENTIALS).build();
    GrpcService.GoogleGrpc googleGrpc = GrpcService.GoogleGrpc.newBuilder()
        .setTargetUri("dns:///127.0.0.1:" + extProcPort)
        .setStatPrefix("meshtrace_ext_proc")
        .setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(CHANNEL_CREDENTIALS_PLUGIN_FIELD, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(insecure.toByteString()).build())
            .build())
        .build();
    ExternalProcessor extProcFilter = ExternalProcessor.newBuilder()
        .setGrpcService(GrpcService.newBuilder().setGoogleGrpc(googleGrpc))
        .setProcessingMode(mode)
        // Strict here: a call that does not go through the processor fails the test.
        .setFailureModeAllow(false)
        .setMessageTimeout(Durations.fromSeconds(5))
        .build();
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("edge")
        .setRouteConfig(RouteConfiguration.newBuilder()
            .setName("edge-routes")
            .addVirtualHosts(VirtualHost.newBuilder()
                .setName("backend")
                .addDomains("*")
                .addRoutes(Route.newBuilder()
                    .setMatch(RouteMatch.newBuilder().setPrefix(""))
                    .setRoute(RouteAction.newBuilder().setCluster(CLUSTER)))))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName("envoy.filters.http.ext_proc")
            .setTypedConfig(Any.pack(extProcFilter)))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder()
        .setName(name)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
        .build();
  }

  static Cluster cluster() {
    return Cluster.newBuilder()
        .setName(CLUSTER)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
            .setEdsConfig(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
        .build();
  }

  static ClusterLoadAssignment endpoints(int backendPort) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(CLUSTER)
        .addEndpoints(LocalityLbEndpoints.newBuilder()
            .setLoadBalancingWeight(com.google.protobuf.UInt32Value.of(1))
            .addLbEndpoints(LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder()
                    .setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder()
                            .setAddress("127.0.0.1")
                            .setPortValue(backendPort))))))
        .build();
  }

  private static Metadata call(String... pairs) throws InterruptedException {
    return call(channel, "", pairs);
  }

  private static Metadata call(ManagedChannel via, String service, String... pairs)
      throws InterruptedException {
    Metadata headers = new Metadata();
    for (int i = 0; i < pairs.length; i += 2) {
      headers.put(Metadata.Key.of(pairs[i], Metadata.ASCII_STRING_MARSHALLER), pairs[i + 1]);
    }
    received.clear();
    HealthCheckResponse response = HealthGrpc.newBlockingStub(via)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .check(HealthCheckRequest.newBuilder().setService(service).build());
    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    Metadata atBackend = received.poll(5, TimeUnit.SECONDS);
    assertThat(atBackend).as("metadata recorded by the backend").isNotNull();
    return atBackend;
  }

  private static String get(Metadata metadata, String name) {
    return metadata.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
  }

  private static List<String> getAll(Metadata metadata, String name) {
    Iterable<String> values = metadata.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
    return values == null ? List.of() : com.google.common.collect.ImmutableList.copyOf(values);
  }

  @Test
  void incompleteB3_isRepairedOnTheWayToTheBackend_keepingTheTraceId() throws Exception {
    String traceId = "463ac35c9f6413ad48485a3953bb6124";
    double repairsBefore = extProc.metrics().verdictCount(Verdict.REPAIR);

    Metadata atBackend = call("x-b3-traceid", traceId);

    assertThat(getAll(atBackend, "x-b3-traceid")).containsExactly(traceId);
    assertThat(get(atBackend, "x-b3-spanid")).matches(SPAN_ID).isNotEqualTo("0000000000000000");
    assertThat(getAll(atBackend, "traceparent")).singleElement().asString()
        .startsWith("00-" + traceId + "-" + get(atBackend, "x-b3-spanid") + "-");
    assertThat(get(atBackend, "x-request-id")).matches(UUID_V4);
    assertThat(get(atBackend, "x-meshtrace-repair")).isEqualTo("b3-span-id-missing");
    assertThat(extProc.metrics().verdictCount(Verdict.REPAIR)).isEqualTo(repairsBefore + 1);
  }

  @Test
  void filterSendingEveryEvent_stillWorks_responseBodiesComeBackUnchanged() throws Exception {
    String traceId = "463ac35c9f6413ad48485a3953bb6124";
    ExtProcMetrics metrics = extProc.metrics();
    double responseBodies = metrics.messageCount(MessageKind.RESPONSE_BODY);
    double responseHeaders = metrics.messageCount(MessageKind.RESPONSE_HEADERS);
    double responseTrailers = metrics.messageCount(MessageKind.RESPONSE_TRAILERS);

    // The SERVING answer reaches the caller only if the echoed response message was intact.
    Metadata atBackend = call(allEventsChannel, "backend", "x-b3-traceid", traceId);

    assertThat(getAll(atBackend, "x-b3-traceid")).containsExactly(traceId);
    assertThat(get(atBackend, "traceparent")).startsWith("00-" + traceId + "-");
    assertThat(metrics.messageCount(MessageKind.RESPONSE_BODY)).isGreaterThan(responseBodies);
    assertThat(metrics.messageCount(MessageKind.RESPONSE_HEADERS)).isGreaterThan(responseHeaders);
    assertThat(metrics.messageCount(MessageKind.RESPONSE_TRAILERS)).isGreaterThan(responseTrailers);
  }

  @Test
  void completeW3cB3AndRequestId_arriveUntouched() throws Exception {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    double passesBefore = extProc.metrics().verdictCount(Verdict.PASS);

    Metadata atBackend = call(
        "traceparent", traceparent,
        "tracestate", "congo=t61rcWkgMzE",
        "x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736",
        "x-b3-spanid", "00f067aa0ba902b7",
        "x-b3-sampled", "1",
        "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");

    assertThat(getAll(atBackend, "traceparent")).containsExactly(traceparent);
    assertThat(getAll(atBackend, "tracestate")).containsExactly("congo=t61rcWkgMzE");
    assertThat(getAll(atBackend, "x-b3-traceid")).containsExactly("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(getAll(atBackend, "x-b3-spanid")).containsExactly("00f067aa0ba902b7");
    assertThat(getAll(atBackend, "x-b3-sampled")).containsExactly("1");
    assertThat(getAll(atBackend, "x-request-id")).containsExactly("f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
    assertThat(atBackend.keys()).doesNotContain("x-meshtrace-repair", "b3", "x-b3-parentspanid");
    assertThat(extProc.metrics().verdictCount(Verdict.PASS)).isEqualTo(passesBefore + 1);
  }
}
