package io.meshtrace.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
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
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge stage with the real peers this machine has: the launcher runs xds-server and
 * ext-proc; grpc-java's xDS client (an independent xDS and ext_proc client) is configured by
 * xds-server as a proxyless gRPC node whose HCM carries the ext_proc filter pointing at that
 * ext-proc, and calls a backend through it. A broken B3 context reaches the backend with its
 * trace id and a new span id; a valid W3C context reaches it untouched. Envoy itself is not
 * installable here: its two-stage gateway from the same snapshot is checked for the same
 * ext-proc address.
 */
class EdgeStageEndToEndTest {

  private static final String SCHEME = "xds-meshtrace-edge";
  private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static final BlockingQueue<Metadata> received = new LinkedBlockingQueue<>();
  private static Server backend;
  private static MeshRun run;
  private static XdsNameResolverProvider resolver;
  private static ManagedChannel channel;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start() throws Exception {
    assertThat(System.getenv("GRPC_EXPERIMENTAL_XDS_EXT_PROC_ON_CLIENT"))
        .as("grpc-java's ext_proc client filter is off without it (set in the module pom)")
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

    Path config = dir.resolve("mesh.yaml");
    // ext-proc's port in the file is a placeholder: the launcher points it at its ext-proc.
    // Strict here (no failure_mode_allow, generous timeout): a call that bypassed ext-proc or
    // timed out on a busy machine fails instead of passing unrepaired.
    Files.writeString(config, """
        propagation: b3
        extensionProviders:
          - name: zipkin
            zipkin: {service: 127.0.0.1, port: 9411}
        defaultProviders: {tracing: [zipkin]}
        tracing: [{randomSamplingPercentage: 100}]
        services:
          - name: backend
            ports: [{name: grpc, number: 50051, protocol: GRPC}]
            endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        gateway:
          headerRepair:
            enabled: true
            extProc: {host: 127.0.0.1, port: 1, timeout: 5s, failureModeAllow: false}
        """.formatted(backend.getPort()));
    run = MeshRun.start(new LaunchOptions(0, 0, 0, 0, dir.resolve("run"), config));

    Map<String, ?> bootstrap = Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + run.xds().adsPort(),
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3", "trusted_xds_server"))),
        "node", Map.of("id", "edge-client-1", "cluster", "edge-client",
            "metadata", Map.of("role", "grpc")));
    resolver = XdsNameResolverProvider.createForTest(SCHEME, bootstrap);
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder(SCHEME + ":///backend", InsecureChannelCredentials.create())
        .build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    if (run != null) {
      run.close();
    }
    if (backend != null) {
      backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Metadata call(String... pairs) throws InterruptedException {
    Metadata headers = new Metadata();
    for (int i = 0; i < pairs.length; i += 2) {
      headers.put(Metadata.Key.of(pairs[i], Metadata.ASCII_STRING_MARSHALLER), pairs[i + 1]);
    }
    received.clear();
    HealthCheckResponse response = HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .withWaitForReady()
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .check(HealthCheckRequest.getDefaultInstance());
    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    Metadata atBackend = received.poll(5, TimeUnit.SECONDS);
    assertThat(atBackend).as("metadata recorded by the backend").isNotNull();
    return atBackend;
  }

  private static List<String> all(Metadata m, String name) {
    List<String> out = new ArrayList<>();
    Iterable<String> v = m.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
    if (v != null) {
      v.forEach(out::add);
    }
    return out;
  }

  private static double repairs() throws Exception {
    String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + run.extProcAdminPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    double total = 0;
    Matcher m = Pattern.compile("(?m)^meshtrace_extproc_requests_total\\{[^}]*verdict=\"repair\""
        + "[^}]*} ([0-9.eE+]+)$").matcher(metrics);
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  @Test
  void b3TraceIdWithoutSpanId_arrivesWithTheSameTraceIdAndANewSpanId() throws Exception {
    String traceId = "463ac35c9f6413ad48485a3953bb6124";
    double before = repairs();

    Metadata atBackend = call("x-b3-traceid", traceId, "x-b3-sampled", "1");

    assertThat(all(atBackend, "x-b3-traceid")).containsExactly(traceId);
    List<String> spanIds = all(atBackend, "x-b3-spanid");
    assertThat(spanIds).singleElement().asString().matches(SPAN_ID)
        .isNotEqualTo("0000000000000000");
    assertThat(all(atBackend, "traceparent")).singleElement().asString()
        .isEqualTo("00-" + traceId + "-" + spanIds.get(0) + "-01");
    assertThat(all(atBackend, "x-meshtrace-repair")).containsExactly("b3-span-id-missing");
    assertThat(repairs()).as("counted by the launcher's ext-proc").isEqualTo(before + 1);
  }

  @Test
  void validW3c_arrivesUntouched_b3AddedWithTheSameIds() throws Exception {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    String requestId = "f81d4fae-7dec-41d0-a765-00a0c91e6bf6";

    Metadata atBackend = call("traceparent", traceparent, "tracestate", "congo=t61rcWkgMzE",
        "x-request-id", requestId);

    assertThat(all(atBackend, "traceparent")).containsExactly(traceparent);
    assertThat(all(atBackend, "tracestate")).containsExactly("congo=t61rcWkgMzE");
    assertThat(all(atBackend, "x-request-id")).containsExactly(requestId);
    // ext-proc's default output formats are W3C and B3 (the gateway's Zipkin tracer reads B3):
    // the B3 it adds carries the W3C ids, so the context is the caller's in both formats.
    assertThat(all(atBackend, "x-b3-traceid")).containsExactly(
        "4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(all(atBackend, "x-b3-spanid")).containsExactly("00f067aa0ba902b7");
    assertThat(all(atBackend, "x-b3-sampled")).containsExactly("1");
  }

  @Test
  void completeW3cAndB3_arriveUntouched_notCountedAsRepair() throws Exception {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    double before = repairs();

    Metadata atBackend = call("traceparent", traceparent, "tracestate", "congo=t61rcWkgMzE",
        "x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736", "x-b3-spanid", "00f067aa0ba902b7",
        "x-b3-sampled", "1", "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");

    assertThat(all(atBackend, "traceparent")).containsExactly(traceparent);
    assertThat(all(atBackend, "tracestate")).containsExactly("congo=t61rcWkgMzE");
    assertThat(all(atBackend, "x-b3-traceid")).containsExactly(
        "4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(all(atBackend, "x-b3-spanid")).containsExactly("00f067aa0ba902b7");
    assertThat(all(atBackend, "x-b3-sampled")).containsExactly("1");
    assertThat(all(atBackend, "x-request-id")).containsExactly(
        "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
    assertThat(atBackend.keys()).doesNotContain("x-meshtrace-repair", "b3",
        "x-b3-parentspanid");
    assertThat(repairs()).isEqualTo(before);
  }

  @Test
  void grpcClientConfig_cameFromXdsServer_andTheGatewayOfTheSameRunUsesTheSameExtProc()
      throws Exception {
    call("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7");
    String proxies = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + run.xds().adminPort() + "/proxies")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(proxies).contains("edge-client-1").contains("grpc/edge-client");

    // The grpc node's listener names the launcher's ext-proc ...
    MeshSnapshots.Result grpc = run.xds().plane().served().get(GroupKey.parse("grpc/edge-client"));
    HttpConnectionManager api = grpc.snapshot().listeners().resources().get("backend")
        .getApiListener().getApiListener().unpack(HttpConnectionManager.class);
    assertThat(api.getHttpFilters(0).getTypedConfig().unpack(ExternalProcessor.class)
        .getGrpcService().getGoogleGrpc().getTargetUri())
        .isEqualTo("dns:///127.0.0.1:" + run.extProcPort());

    // ... and so does the Envoy gateway of the same run (edge listener -> ext_proc cluster).
    // No gateway connects in this test, so its snapshot is built from the config being served.
    MeshSnapshots.Result gw = MeshSnapshots.build(run.xds().plane().config(),
        "gateway/meshtrace-gateway");
    assertThat(gw.errors()).isEmpty();
    Listener edge = gw.snapshot().listeners().resources().get("edge");
    HttpConnectionManager edgeHcm = edge.getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(HttpConnectionManager.class);
    assertThat(edgeHcm.hasTracing()).isFalse();
    assertThat(edgeHcm.getHttpFilters(0).getTypedConfig().unpack(ExternalProcessor.class)
        .getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("ext_proc");
    Cluster ext = gw.snapshot().clusters().resources().get("ext_proc");
    SocketAddress a = ext.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint()
        .getAddress().getSocketAddress();
    assertThat(a.getAddress()).isEqualTo("127.0.0.1");
    assertThat(a.getPortValue()).isEqualTo(run.extProcPort());
  }
}
