package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stream slots against clients that hold them: one connection cannot take more than
 * {@code limits.max-streams-per-connection} of them whatever it sends, and a stream that goes
 * quiet after its first message is ended after {@code limits.stream-idle-timeout}.
 */
class StreamSlotsTest {

  private static final int HOSTILE_STREAMS = 10_000;
  private static final int GOOD_CALLS = 1_000;

  @Test
  void oneConnectionOpeningTenThousandStreams_takesItsShareOnly_othersKeepBeingAnswered()
      throws Exception {
    // Default limits: 10,000 streams server-wide, 1,000 per connection.
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0");
    ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ProcessingRequest request =
        EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID).message();
    try (RawHttp2Connection hostile = RawHttp2Connection.open(server.port())) {
      // The client ignores the server's SETTINGS_MAX_CONCURRENT_STREAMS and opens them all.
      for (int i = 0; i < HOSTILE_STREAMS; i++) {
        hostile.openStream(2 * i + 1);
      }
      hostile.flush();
      int accepted = awaitSteadyActiveStreams(server, deadline);
      while (accepted + hostile.refusedStreams() < HOSTILE_STREAMS && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      // Each stream the server took then looks like Envoy's: request headers, then nothing.
      // (DATA on a refused stream would end the whole connection: grpc-java treats it as a
      // connection error, which frees everything, but ends the test too.)
      int sent = 0;
      for (int i = 0; i < HOSTILE_STREAMS; i++) {
        if (!hostile.refused(2 * i + 1)) {
          hostile.send(2 * i + 1, request);
          sent++;
        }
      }
      hostile.flush();
      while (server.metrics().messageCount(MessageKind.REQUEST_HEADERS) < sent
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      int held = server.activeStreams();
      System.out.printf("hostile connection holds %d streams, %d refused%n", held,
          hostile.refusedStreams());
      assertThat(held).isLessThanOrEqualTo(config.maxStreamsPerConnection());
      assertThat(hostile.goAwayReceived()).as("the connection itself stays up").isFalse();

      RawExtProcClient good = new RawExtProcClient(channel);
      int answered = 0;
      Status lastFailure = null;
      for (int i = 0; i < GOOD_CALLS && System.nanoTime() < deadline; i++) {
        try {
          good.requestHeaders(EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID));
          answered++;
        } catch (StatusException | StatusRuntimeException e) {
          lastFailure = Status.fromThrowable(e);
        }
      }
      System.out.printf("well-behaved client: %d of %d calls answered%n", answered, GOOD_CALLS);
      assertThat(answered).as("answered calls; last failure %s", lastFailure)
          .isGreaterThanOrEqualTo(GOOD_CALLS * 99 / 100);
      assertThat(hostile.refusedStreams())
          .isGreaterThanOrEqualTo(HOSTILE_STREAMS - config.maxStreamsPerConnection());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownGracefully(Duration.ofSeconds(1));
    }
    assertThat(System.nanoTime()).as("time bound").isLessThan(deadline);
  }

  @Test
  void streamQuietAfterItsFirstMessage_isEndedAfterTheIdleTimeout_andCounted() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0",
        "--limits.stream-idle-timeout", "400ms");
    ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build();
    try {
      RawExtProcClient client = new RawExtProcClient(channel);
      RawExtProcClient.Stream quiet = client.open();
      quiet.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
      assertThat(quiet.next()).isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
      long start = System.nanoTime();
      // A stream that keeps talking is not idle, however long it lives.
      RawExtProcClient.Stream talking = client.open();
      talking.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
      talking.next();
      ProcessingRequest responseHeaders = ProcessingRequest.newBuilder()
          .setResponseHeaders(EnvoyHeaders.request().raw(":status", "200").headers()).build();
      while (!quiet.closed().isDone() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
        talking.send(responseHeaders);
        talking.next();
        Thread.sleep(100);
      }
      // Ended with OK: Envoy then lets the rest of that request through unchanged.
      assertThat(quiet.closed().get(1, TimeUnit.SECONDS)).isEqualTo(Status.OK);
      long quietMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(quietMillis).isBetween(300L, 2_500L);
      assertThat(talking.closed()).isNotDone();
      assertThat(server.metrics().expiredCount(ExtProcMetrics.IDLE_TIMEOUT)).isEqualTo(1);
      assertThat(server.metrics().expiredCount(ExtProcMetrics.FIRST_MESSAGE_TIMEOUT)).isZero();
      talking.halfClose();
      assertThat(talking.closed().get(5, TimeUnit.SECONDS).isOk()).isTrue();
      assertThat(server.activeStreams()).isZero();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownGracefully(Duration.ofSeconds(1));
    }
  }

  /** The server's open streams once they stopped changing for 300 ms. */
  private static int awaitSteadyActiveStreams(ExtProcServer server, long deadline)
      throws InterruptedException {
    int last = -1;
    long steadySince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      int now = server.activeStreams();
      if (now != last) {
        last = now;
        steadySince = System.nanoTime();
      } else if (now > 0 && System.nanoTime() - steadySince > TimeUnit.MILLISECONDS.toNanos(300)) {
        return now;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("open streams never settled; last " + last);
  }
}
