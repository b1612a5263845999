package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.meshtrace.admin.AdminServer;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.TraceContextRepair;
import io.meshtrace.extproc.config.ExtProcConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ext_proc gRPC server's lifecycle: the External Processor service and
 * {@code grpc.health.v1.Health} on a caller-supplied {@link ServerBuilder} (Netty in
 * production, in-process in tests), served on the transport threads ({@code directExecutor}:
 * the handler never blocks).
 *
 * <pre>{@code
 * ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
 * ...
 * server.shutdownGracefully(config.drainTimeout());
 * }</pre>
 */
public final class ExtProcServer {

  private static final Logger log = LoggerFactory.getLogger(ExtProcServer.class);
  private static final String SERVICE_NAME = ExternalProcessorGrpc.SERVICE_NAME;
  /** Room for bodies an Envoy configured to send them may stream (answered empty). */
  private static final int MIN_INBOUND_MESSAGE_BYTES = 4 << 20;
  /**
   * HTTP/2 window per stream and per connection, stated rather than auto-tuned: what a peer may
   * have in flight to the service that it has not read yet, on one connection (grpc-java's
   * default size; its auto-tuning would let a fast peer grow it eightfold).
   */
  private static final int FLOW_CONTROL_WINDOW_BYTES = 1 << 20;
  /** Request metadata (Envoy's gRPC headers and initial_metadata): grpc-java's default, stated. */
  private static final int MAX_INBOUND_METADATA_BYTES = 8 << 10;
  /**
   * A connection without reads for this long is pinged, and closed when the ping is not answered
   * within the timeout: frees what a peer that vanished, or stopped reading its socket, holds.
   */
  private static final long KEEPALIVE_TIME_SECONDS = 60;
  private static final long KEEPALIVE_TIMEOUT_SECONDS = 20;
  /** A connection without a stream for this long gets a GOAWAY; Envoy reconnects when needed. */
  private static final long MAX_CONNECTION_IDLE_MINUTES = 5;
  private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long MAX_SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final ServerBuilder<?> builder;
  private final StreamTracker tracker;
  private final ExtProcMetrics metrics;
  private final MessageProcessor processor;
  private final HealthStatusManager health = new HealthStatusManager();
  private final long firstMessageTimeoutNanos;
  private final long streamIdleTimeoutNanos;
  private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "ext-proc-quiet-streams");
        thread.setDaemon(true);
        return thread;
      });
  private volatile Server server;
  private volatile boolean serving;

  public ExtProcServer(ServerBuilder<?> builder, ExtProcConfig config) {
    this.builder = builder;
    this.tracker = new StreamTracker(config.maxConcurrentStreams());
    SendBudgets budgets = new SendBudgets(config.maxUnsentBytesPerConnection());
    this.metrics = new ExtProcMetrics(tracker::active, budgets::unsentBytes);
    this.firstMessageTimeoutNanos = config.firstMessageTimeout().toNanos();
    this.streamIdleTimeoutNanos = config.streamIdleTimeout().toNanos();
    this.processor = new MessageProcessor(
        TraceContextRepair.create(config.repairPolicy()), config.markerHeader(),
        config.maxHeaders(), config.maxHeaderBytes(), metrics);
    builder.directExecutor()
        .addTransportFilter(budgets)
        .addService(ServerInterceptors.intercept(
            new ExternalProcessorService(processor, tracker, metrics, budgets), budgets))
        .addService(health.getHealthService());
  }

  /**
   * A Netty builder for {@code config}'s gRPC address and port, with TLS (and mTLS when a
   * client CA is set), the stream limit per connection ({@code SETTINGS_MAX_CONCURRENT_STREAMS},
   * enforced from the first stream, acknowledged or not), a message size limit that fits the
   * header limits, fixed flow-control windows, keepalive and an idle-connection bound. Also
   * bounds what peers can make grpc's Netty transport log ({@link TransportLogLimiter}).
   */
  public static ServerBuilder<?> nettyBuilder(ExtProcConfig config) throws IOException {
    TransportLogLimiter.install();
    ServerCredentials credentials = InsecureServerCredentials.create();
    ExtProcConfig.Tls tls = config.tls();
    if (tls != null) {
      TlsServerCredentials.Builder tlsBuilder = TlsServerCredentials.newBuilder()
          .keyManager(tls.certChain().toFile(), tls.privateKey().toFile());
      if (tls.clientCa() != null) {
        tlsBuilder.trustManager(tls.clientCa().toFile())
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      credentials = tlsBuilder.build();
    }
    long perHeaderOverhead = 16L * config.maxHeaders();
    int maxMessage = (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_INBOUND_MESSAGE_BYTES,
        2L * config.maxHeaderBytes() + perHeaderOverhead + 65_536));
    return NettyServerBuilder
        .forAddress(new InetSocketAddress(config.grpcAddress(), config.grpcPort()), credentials)
        .maxConcurrentCallsPerConnection(config.maxStreamsPerConnection())
        .maxInboundMessageSize(maxMessage)
        .maxInboundMetadataSize(MAX_INBOUND_METADATA_BYTES)
        .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
        .keepAliveTime(KEEPALIVE_TIME_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .maxConnectionIdle(MAX_CONNECTION_IDLE_MINUTES, TimeUnit.MINUTES)
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
  }

  public ExtProcServer start() throws IOException {
    server = builder.build().start();
    long shortest = Math.min(firstMessageTimeoutNanos, streamIdleTimeoutNanos);
    long period = Math.max(MIN_SWEEP_NANOS, Math.min(MAX_SWEEP_NANOS, shortest / 4));
    sweeper.scheduleAtFixedRate(this::endQuietStreams, period, period, TimeUnit.NANOSECONDS);
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(SERVICE_NAME, ServingStatus.SERVING);
    serving = true;
    log.info("ext_proc service started on {}", server.getListenSockets());
    return this;
  }

  private void endQuietStreams() {
    try {
      tracker.endQuietStreams(System.nanoTime(), firstMessageTimeoutNanos, streamIdleTimeoutNanos,
          metrics);
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again: quiet streams would pile up.
      log.warn("ending quiet streams failed; trying again next round", e);
    }
  }

  /** The addresses the gRPC server listens on (in-process servers report their name). */
  public List<? extends SocketAddress> listenSockets() {
    return server.getListenSockets();
  }

  /** The first TCP port the gRPC server bound, or -1 for a non-TCP server. */
  public int port() {
    return server.getPort();
  }

  /** Serving and not draining. */
  public boolean isReady() {
    return serving && !tracker.draining();
  }

  public int activeStreams() {
    return tracker.active();
  }

  /** The repair policy requests are repaired with now. */
  public RepairPolicy repairPolicy() {
    return processor.repair().policy();
  }

  /**
   * Samples {@code percent} of the traces started from now on ({@link
   * RepairPolicy#newTraceSamplingPercent()}), the rest of the policy kept: for an embedder that
   * follows a setting while running (the launcher follows the mesh's random sampling). Requests
   * in flight finish with the previous policy; the request path pays one volatile read.
   *
   * @throws IllegalArgumentException {@code percent} is not between 0 and 100; nothing changes
   */
  public synchronized void newTraceSamplingPercent(double percent) {
    RepairPolicy current = processor.repair().policy();
    if (current.newTraceSamplingPercent() == percent) {
      return;
    }
    processor.repair(TraceContextRepair.create(current.withNewTraceSamplingPercent(percent)));
    log.info("new-trace sampling now {}% (was {}%)", percent, current.newTraceSamplingPercent());
  }

  ExtProcMetrics metrics() {
    return metrics;
  }

  /**
   * Stops accepting streams (health NOT_SERVING, new calls refused), waits at most
   * {@code bound} for open streams to end, then cancels what is left. Returns true when every
   * stream ended on its own.
   */
  public boolean shutdownGracefully(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    health.enterTerminalState();
    tracker.startDraining();
    Server current = server;
    if (current == null) {
      return true;
    }
    log.info("draining: {} open stream(s), waiting at most {} ms", tracker.active(),
        bound.toMillis());
    current.shutdown();
    boolean drained = tracker.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))
        && current.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (!drained) {
      log.warn("drain bound reached with {} open stream(s); cancelling them", tracker.active());
      current.shutdownNow();
      current.awaitTermination(5, TimeUnit.SECONDS);
    }
    serving = false;
    sweeper.shutdownNow();
    log.info("ext_proc service stopped");
    return drained;
  }

  /** Cancels every stream and stops at once. */
  public void shutdownNow() throws InterruptedException {
    health.enterTerminalState();
    tracker.startDraining();
    Server current = server;
    if (current != null) {
      current.shutdownNow();
      current.awaitTermination(5, TimeUnit.SECONDS);
    }
    serving = false;
    sweeper.shutdownNow();
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Starts the admin HTTP listener ({@code /healthz}, {@code /readyz}, {@code /metrics}) for
   * this server's health and metrics on {@code address} (port 0: any free port). The caller
   * closes it.
   */
  public AdminServer startAdmin(InetSocketAddress address) throws IOException {
    return startAdmin(AdminServer.builder(ExtProcMetrics.SERVICE).address(address));
  }

  /** Like {@link #startAdmin(InetSocketAddress)} with more settings (TLS) on {@code admin}. */
  public AdminServer startAdmin(AdminServer.Builder admin) throws IOException {
    return admin.registry(metrics.registry()).readiness(this::isReady).start();
  }
}
