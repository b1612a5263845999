package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.grpc.ManagedChannel;
import io.meshtrace.admin.AdminServer;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Lifecycle on an in-process transport: health, readiness, graceful drain within a bound, and
 * the admin endpoints on 127.0.0.1.
 */
class ExtProcServerLifecycleTest {

  private String name;
  private ExtProcServer server;
  private ManagedChannel channel;
  private AdminServer admin;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    name = InProcessServerBuilder.generateName();
    ExtProcConfig config = ExtProcConfigParser.defaults();
    server = new ExtProcServer(InProcessServerBuilder.forName(name), config).start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    admin = server.startAdmin(new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow();
    admin.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin.address().getPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void health_reportsServing_forTheServerAndTheService() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder()
        .setService(ExternalProcessorGrpc.SERVICE_NAME).build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void admin_healthzReadyzMetrics() throws Exception {
    new RawExtProcClient(channel).requestHeaders(
        EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID));
    new RawExtProcClient(channel).requestHeaders(
        EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()));

    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
    HttpResponse<String> metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
    assertThat(metrics.body())
        .contains("# TYPE meshtrace_extproc_requests_total counter")
        .contains("meshtrace_extproc_requests_total{reason=\"b3-span-id-missing\",verdict=\"repair\"} 1.0")
        .contains("meshtrace_extproc_requests_total{reason=\"none\",verdict=\"pass\"} 1.0")
        .contains("meshtrace_extproc_messages_total{kind=\"request_headers\"} 2.0")
        .contains("meshtrace_extproc_active_streams 0")
        .contains("meshtrace_extproc_streams_total 2.0")
        .contains("# TYPE meshtrace_extproc_processing_seconds histogram")
        .contains("meshtrace_extproc_processing_seconds_bucket{le=\"+Inf\"} 2")
        .contains("meshtrace_extproc_processing_seconds_count 2")
        .as("only verdict/reason pairs that happened are exported")
        .doesNotContain("verdict=\"regenerate\"")
        .doesNotContain("reason=\"none\",verdict=\"repair\"");
    assertThat(get("/metrics/x").statusCode()).isEqualTo(404);
    assertThat(http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin.address().getPort() + "/readyz"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
  }

  @Test
  void activeStreams_showInMetrics() throws Exception {
    RawExtProcClient.Stream open = new RawExtProcClient(channel).open();
    open.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
    open.next();
    assertThat(get("/metrics").body()).contains("meshtrace_extproc_active_streams 1");
    open.halfClose();
    open.closed().get(5, TimeUnit.SECONDS);
    assertThat(get("/metrics").body()).contains("meshtrace_extproc_active_streams 0");
  }

  @Test
  void gracefulShutdown_refusesNewStreams_andWaitsForOpenOnes() throws Exception {
    RawExtProcClient client = new RawExtProcClient(channel);
    RawExtProcClient.Stream open = client.open();
    open.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
    open.next();

    CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
      try {
        return server.shutdownGracefully(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (server.isReady() && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(server.isReady()).isFalse();
    assertThat(get("/readyz").statusCode()).isEqualTo(503);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);

    RawExtProcClient.Stream late = client.open();
    late.send(EnvoyHeaders.request().message());
    assertThat(late.closed().get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);

    // the open stream still works until it ends
    open.send(io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.newBuilder()
        .setResponseHeaders(io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders.getDefaultInstance())
        .build());
    assertThat(open.next().hasResponseHeaders()).isTrue();
    assertThat(drained).isNotDone();
    open.halfClose();
    assertThat(open.closed().get(5, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(server.activeStreams()).isZero();
  }

  @Test
  void gracefulShutdown_cancelsStreamsLeftAtTheBound() throws Exception {
    RawExtProcClient.Stream open = new RawExtProcClient(channel).open();
    open.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
    open.next();
    long start = System.nanoTime();
    assertThat(server.shutdownGracefully(Duration.ofMillis(300))).isFalse();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(300L, 5_000L);
    assertThat(open.closed().get(5, TimeUnit.SECONDS).isOk()).isFalse();
    assertThat(server.activeStreams()).isZero();
  }

  @Test
  void newTraceSamplingPercent_swappedWhileServing_nextStartedTraceFollows_outOfRangeRefused()
      throws Exception {
    assertThat(startedTraceSampled()).isTrue();

    server.newTraceSamplingPercent(0);
    assertThat(server.repairPolicy().newTraceSamplingPercent()).isZero();
    for (int i = 0; i < 5; i++) {
      assertThat(startedTraceSampled()).as("request %d", i).isFalse();
    }

    assertThatThrownBy(() -> server.newTraceSamplingPercent(140))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("newTraceSamplingPercent=140.0: must be between 0 and 100");
    assertThat(server.repairPolicy())
        .isEqualTo(ExtProcConfigParser.defaults().repairPolicy().withNewTraceSamplingPercent(0));
    assertThat(startedTraceSampled()).isFalse();

    server.newTraceSamplingPercent(100);
    assertThat(startedTraceSampled()).isTrue();
  }

  /** A request without trace context: the sampled flag of the trace ext-proc starts, read by OTel. */
  private boolean startedTraceSampled() throws Exception {
    EnvoyHeaders headers = EnvoyHeaders.request();
    RepairedRequest repaired = RepairedRequest.apply(headers.map(),
        new RawExtProcClient(channel).requestHeaders(headers));
    assertThat(repaired.w3c().isValid()).as("%s", repaired).isTrue();
    return repaired.w3c().isSampled();
  }
}
