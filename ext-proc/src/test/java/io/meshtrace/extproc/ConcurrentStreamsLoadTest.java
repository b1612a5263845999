package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.meshtrace.context.Verdict;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Bounded load on 127.0.0.1: rounds of 1,000 streams held open at once, over 4 connections.
 * Every stream sends request headers that need repair and gets its answer; then half of them
 * cancel, the other half go on (response headers, half-close) and must see no error. After each
 * round no stream is left open; over the rounds the heap stays flat.
 */
class ConcurrentStreamsLoadTest {

  private static final int STREAMS = 1_000;
  private static final int CHANNELS = 4;
  private static final int ROUNDS = 6;
  private static final long MAX_HEAP_GROWTH_BYTES = 24L << 20;

  @Test
  void thousandConcurrentStreams_halfCancelled_noErrorsNoLeaks() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0");
    ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < CHANNELS; i++) {
      channels.add(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
          InsecureChannelCredentials.create()).directExecutor().build());
    }
    ProcessingRequest requestHeaders = EnvoyHeaders.request()
        .raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID, "x-b3-sampled", "1")
        .message();
    ProcessingRequest responseHeaders = ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(
            EnvoyHeaders.request().raw(":status", "200").map()))
        .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    try {
      long heapAfterWarmup = 0;
      for (int round = 0; round < ROUNDS; round++) {
        long start = System.nanoTime();
        runRound(server, channels, requestHeaders, responseHeaders);
        System.out.printf("round %d: %d streams in %d ms%n", round, STREAMS,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        if (round == 0) {
          heapAfterWarmup = usedHeapAfterGc();
        }
        assertThat(System.nanoTime()).as("time bound").isLessThan(deadline);
      }
      long heapAtEnd = usedHeapAfterGc();
      System.out.printf("heap after warm-up %d KiB, after %d more rounds %d KiB%n",
          heapAfterWarmup >> 10, ROUNDS - 1, heapAtEnd >> 10);
      assertThat(heapAtEnd - heapAfterWarmup).as("heap growth over %d rounds", ROUNDS - 1)
          .isLessThan(MAX_HEAP_GROWTH_BYTES);
      assertThat(server.metrics().verdictCount(Verdict.REPAIR)).isEqualTo((double) ROUNDS * STREAMS);
    } finally {
      for (ManagedChannel channel : channels) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      server.shutdownNow();
    }
  }

  private static void runRound(ExtProcServer server, List<ManagedChannel> channels,
      ProcessingRequest requestHeaders, ProcessingRequest responseHeaders) throws Exception {
    CountDownLatch answered = new CountDownLatch(STREAMS);
    CountDownLatch finished = new CountDownLatch(STREAMS / 2);
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    List<LoadStream> streams = new ArrayList<>(STREAMS);
    for (int i = 0; i < STREAMS; i++) {
      LoadStream stream = new LoadStream(answered, finished, errors, responseHeaders, i % 2 == 0);
      ExternalProcessorGrpc.newStub(channels.get(i % CHANNELS)).process(stream);
      stream.requests.onNext(requestHeaders);
      streams.add(stream);
    }
    assertThat(answered.await(20, TimeUnit.SECONDS)).as("all %d streams answered", STREAMS).isTrue();
    assertThat(server.activeStreams()).as("streams held open at once").isEqualTo(STREAMS);

    for (LoadStream stream : streams) {
      stream.secondHalf();
    }
    assertThat(finished.await(20, TimeUnit.SECONDS)).as("continuing streams finished").isTrue();
    assertThat(errors).as("errors on streams that were not cancelled").isEmpty();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.activeStreams() > 0 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(server.activeStreams()).as("active streams after the round").isZero();
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** One stream: request headers; then cancel, or response headers and a clean end. */
  private static final class LoadStream
      implements ClientResponseObserver<ProcessingRequest, ProcessingResponse> {
    private final CountDownLatch answered;
    private final CountDownLatch finished;
    private final ConcurrentLinkedQueue<String> errors;
    private final ProcessingRequest responseHeaders;
    private final boolean cancels;
    private final AtomicInteger responses = new AtomicInteger();
    volatile ClientCallStreamObserver<ProcessingRequest> requests;

    LoadStream(CountDownLatch answered, CountDownLatch finished, ConcurrentLinkedQueue<String> errors,
        ProcessingRequest responseHeaders, boolean cancels) {
      this.answered = answered;
      this.finished = finished;
      this.errors = errors;
      this.responseHeaders = responseHeaders;
      this.cancels = cancels;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ProcessingRequest> requestStream) {
      this.requests = requestStream;
    }

    @Override
    public void onNext(ProcessingResponse response) {
      int n = responses.incrementAndGet();
      if (n == 1) {
        if (!response.hasRequestHeaders()
            || response.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersCount() == 0) {
          errors.add("first answer is not a repairing HeadersResponse: " + response);
        }
        answered.countDown();
      } else if (n == 2 && !response.hasResponseHeaders()) {
        errors.add("second answer is not a response_headers response: " + response);
      }
    }

    void secondHalf() {
      if (cancels) {
        requests.cancel("client went away half-way", null);
      } else {
        requests.onNext(responseHeaders);
        requests.onCompleted();
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!cancels) {
        errors.add(String.valueOf(Status.fromThrowable(t)));
        finished.countDown();
      }
    }

    @Override
    public void onCompleted() {
      if (cancels) {
        return;
      }
      if (responses.get() != 2) {
        errors.add("completed after " + responses.get() + " answers");
      }
      finished.countDown();
    }
  }
}
