package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.buffer.PooledByteBufAllocator;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Peers that stop reading their responses. The attacker is a gRPC client with manual flow
 * control that never asks for a response, on a channel with a 64 KiB window, sending body chunks
 * the service must echo (FULL_DUPLEX_STREAMED), the largest answers it gives. Its own memory is
 * bounded (it sends only while its call is ready), so what the process gains is the server's.
 */
class SlowReaderTest {

  private static final int CHUNK = 64 << 10;
  private static final long FLOOD_BYTES = 128L << 20;
  private static final long MAX_GROWTH_BYTES = 32L << 20;

  private ExtProcServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    server.shutdownGracefully(Duration.ofSeconds(1));
  }

  private ExtProcServer start(String... flags) throws Exception {
    List<String> args = new ArrayList<>(List.of("--address", "127.0.0.1", "--port", "0"));
    args.addAll(List.of(flags));
    ExtProcConfig config = ExtProcConfigParser.fromArgs(args.toArray(new String[0]));
    server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    return server;
  }

  private ManagedChannel nonReadingChannel() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .usePlaintext().flowControlWindow(CHUNK).build();
    channels.add(channel);
    return channel;
  }

  @Test
  void clientThatNeverReads_floodingOneStream_serverStopsReadingIt_memoryBounded()
      throws Exception {
    start();
    assertOtherClientsServed();
    long baseline = usedMemoryAfterGc();
    NeverReading attacker = new NeverReading();
    ExternalProcessorGrpc.newStub(nonReadingChannel()).process(attacker);
    attacker.send(fullDuplexHeaders());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long sent = 0;
    long stalledSince = 0;
    ProcessingRequest chunk = bodyChunk();
    while (sent < FLOOD_BYTES && System.nanoTime() < deadline) {
      if (attacker.ready()) {
        attacker.send(chunk);
        sent += CHUNK;
        stalledSince = 0;
      } else if (stalledSince == 0) {
        stalledSince = System.nanoTime();
      } else if (System.nanoTime() - stalledSince > TimeUnit.SECONDS.toNanos(1)) {
        break; // the server stopped taking messages: flow control pushed back
      } else {
        attacker.awaitReady(50);
      }
    }
    long growth = usedMemoryAfterGc() - baseline;
    System.out.printf("attacker sent %d KiB before the server stopped reading; process memory "
        + "grew by %d KiB; unsent responses %d bytes%n", sent >> 10, growth >> 10, unsent());
    assertThat(growth).as("memory growth while one stream floods").isLessThan(MAX_GROWTH_BYTES);
    assertThat(sent).as("bytes the server took before pushing back").isLessThan(16L << 20);
    assertThat(unsent()).isPositive().isLessThanOrEqualTo(2L * CHUNK);
    assertOtherClientsServed();

    attacker.cancel();
    awaitIdle();
  }

  @Test
  void clientThatNeverReads_openingManyEchoingStreams_connectionStaysWithinItsBudget()
      throws Exception {
    start("--limits.max-unsent-bytes-per-connection", "1048576");
    assertOtherClientsServed();
    long baseline = usedMemoryAfterGc();
    ManagedChannel channel = nonReadingChannel();
    // Each stream's first message is a 256 KiB body to echo: the first answer of a stream is
    // always read, so only the connection's budget bounds what such streams make it queue.
    ProcessingRequest first = ProcessingRequest.newBuilder()
        .setProtocolConfig(ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED))
        .setRequestBody(HttpBody.newBuilder().setBody(ByteString.copyFrom(new byte[4 * CHUNK])))
        .build();
    int streams = 300;
    List<NeverReading> attackers = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      NeverReading attacker = new NeverReading();
      ExternalProcessorGrpc.newStub(channel).process(attacker);
      attacker.send(first);
      attackers.add(attacker);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (server.metrics().messageCount(MessageKind.REQUEST_BODY) < streams
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(server.metrics().messageCount(MessageKind.REQUEST_BODY)).isEqualTo(streams);
    long growth = usedMemoryAfterGc() - baseline;
    System.out.printf("%d streams: %d ended for unread responses; unsent %d KiB; process memory "
        + "grew by %d KiB%n", streams, (long) server.metrics().unreadCount(), unsent() >> 10,
        growth >> 10);
    assertThat(server.metrics().unreadCount()).isGreaterThan(streams / 2.0);
    assertThat(unsent()).isLessThanOrEqualTo((1L << 20) + first.getSerializedSize() + 64);
    assertThat(growth).as("memory growth while %d streams echo", streams)
        .isLessThan(MAX_GROWTH_BYTES);
    assertOtherClientsServed();

    attackers.forEach(NeverReading::cancel);
    awaitIdle();
  }

  private long unsent() {
    return server.metrics().unsentResponseBytes();
  }

  private void assertOtherClientsServed() throws Exception {
    ManagedChannel good = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build();
    channels.add(good);
    RawExtProcClient client = new RawExtProcClient(good);
    long start = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      ProcessingResponse response = client.requestHeaders(
          EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID));
      assertThat(response.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersCount())
          .isPositive();
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .as("100 calls of another client").isLessThan(10_000);
  }

  private void awaitIdle() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((server.activeStreams() > 0 || unsent() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(server.activeStreams()).isZero();
    assertThat(unsent()).as("unsent bytes once the attacker is gone").isZero();
  }

  private static ProcessingRequest fullDuplexHeaders() {
    return EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message().toBuilder()
        .setProtocolConfig(ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED))
        .build();
  }

  private static ProcessingRequest bodyChunk() {
    return ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(ByteString.copyFrom(new byte[CHUNK])))
        .build();
  }

  /**
   * Heap in use after a full GC plus the bytes of live buffers of gRPC's Netty allocator, where
   * queued responses live (direct by default). Pooled memory that is free again is not counted:
   * the pool keeps it, whoever used it.
   */
  static long usedMemoryAfterGc() throws Exception {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    PooledByteBufAllocator allocator = grpcAllocator();
    return heap + allocator.pinnedDirectMemory() + allocator.pinnedHeapMemory();
  }

  /** The allocator gRPC's Netty transport uses; its holder is package-private, hence reflection. */
  private static PooledByteBufAllocator grpcAllocator() throws Exception {
    Method method = Class.forName("io.grpc.netty.shaded.io.grpc.netty.Utils")
        .getDeclaredMethod("getByteBufAllocator", boolean.class);
    method.setAccessible(true);
    Object allocator = method.invoke(null, false);
    assertThat(allocator).as("gRPC's allocator").isInstanceOf(PooledByteBufAllocator.class);
    return (PooledByteBufAllocator) allocator;
  }

  /** A call that never asks for a response and sends only while gRPC says it may. */
  private static final class NeverReading
      implements ClientResponseObserver<ProcessingRequest, ProcessingResponse> {
    private final Semaphore readiness = new Semaphore(0);
    private volatile ClientCallStreamObserver<ProcessingRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<ProcessingRequest> requestStream) {
      requests = requestStream;
      requestStream.disableAutoRequestWithInitial(0);
      requestStream.setOnReadyHandler(readiness::release);
    }

    @Override
    public void onNext(ProcessingResponse value) {
      throw new AssertionError("never asked for a response");
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    boolean ready() {
      return requests.isReady();
    }

    void awaitReady(long millis) throws InterruptedException {
      readiness.tryAcquire(millis, TimeUnit.MILLISECONDS);
    }

    void send(ProcessingRequest message) {
      requests.onNext(message);
    }

    void cancel() {
      requests.cancel("attacker leaves", null);
    }
  }
}
