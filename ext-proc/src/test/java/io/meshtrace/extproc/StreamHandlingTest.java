package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ext_proc protocol over a real HTTP/2 connection on 127.0.0.1: every message kind gets
 * the matching response, and bad or odd clients (oversized headers, thousands of headers,
 * invalid UTF-8, empty and silent streams, cancellation) neither crash the service nor leak a
 * stream slot.
 */
class StreamHandlingTest {

  private static ExtProcServer server;
  private static ManagedChannel channel;
  private static RawExtProcClient client;

  @BeforeAll
  static void start() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0",
        "--limits.max-header-bytes", "8192", "--limits.max-headers", "200",
        "--limits.first-message-timeout", "2s");
    server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build();
    client = new RawExtProcClient(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow();
  }

  @AfterEach
  void noStreamLeft() throws Exception {
    awaitActiveStreams(0);
    // and the service still answers a normal request
    assertThat(client.requestHeaders(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete())))
        .isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
  }

  static void awaitActiveStreams(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.activeStreams() != expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(server.activeStreams()).as("active streams").isEqualTo(expected);
  }

  @Test
  void everyMessageKind_getsTheMatchingEmptyResponse_inOrder() throws Exception {
    ProcessingRequest requestHeaders = EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete())
        .message().toBuilder()
        .setProtocolConfig(ProtocolConfiguration.getDefaultInstance())
        .build();
    List<ProcessingResponse> responses = client.exchange(
        requestHeaders,
        ProcessingRequest.newBuilder().setRequestBody(
            HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("{\"a\":1}")).setEndOfStream(true)).build(),
        ProcessingRequest.newBuilder().setRequestTrailers(HttpTrailers.newBuilder().setTrailers(
            EnvoyHeaders.request().raw("x-checksum", "abc").map())).build(),
        ProcessingRequest.newBuilder().setResponseHeaders(HttpHeaders.newBuilder().setHeaders(
            HeaderMap.newBuilder().addHeaders(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder()
                .setKey(":status").setRawValue(ByteString.copyFromUtf8("200"))))).build(),
        ProcessingRequest.newBuilder().setResponseBody(
            HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("ok")).setEndOfStream(false)).build(),
        ProcessingRequest.newBuilder().setResponseBody(
            HttpBody.newBuilder().setEndOfStream(true)).build(),
        ProcessingRequest.newBuilder().setResponseTrailers(HttpTrailers.newBuilder().setTrailers(
            EnvoyHeaders.request().raw("grpc-status", "0").map())).build());
    assertThat(responses).containsExactly(
        MessageProcessor.EMPTY_REQUEST_HEADERS,
        MessageProcessor.EMPTY_REQUEST_BODY,
        MessageProcessor.EMPTY_REQUEST_TRAILERS,
        MessageProcessor.EMPTY_RESPONSE_HEADERS,
        MessageProcessor.EMPTY_RESPONSE_BODY,
        MessageProcessor.EMPTY_RESPONSE_BODY,
        MessageProcessor.EMPTY_RESPONSE_TRAILERS);
    assertThat(responses.get(1).hasRequestBody()).isTrue();
    assertThat(responses.get(3).hasResponseHeaders()).isTrue();
  }

  @Test
  void fullDuplexRequestBodies_comeBackUnchanged_streamedResponseBodiesDoNot() throws Exception {
    ProcessingRequest first = EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete())
        .message().toBuilder()
        .setProtocolConfig(ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3
                .ProcessingMode.BodySendMode.FULL_DUPLEX_STREAMED)
            .setResponseBodyMode(io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3
                .ProcessingMode.BodySendMode.STREAMED))
        .build();
    HttpBody chunk = HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("chunk-1")).build();
    List<ProcessingResponse> responses = client.exchange(first,
        ProcessingRequest.newBuilder().setRequestBody(chunk).build(),
        ProcessingRequest.newBuilder().setResponseBody(chunk).build());
    assertThat(responses.get(0)).isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
    assertThat(responses.get(1).getRequestBody().getResponse().getBodyMutation()
        .getStreamedResponse().getBody().toStringUtf8()).isEqualTo("chunk-1");
    assertThat(responses.get(2)).isEqualTo(MessageProcessor.EMPTY_RESPONSE_BODY);
  }

  @Test
  void oversizedHeaders_passedUntouched_andCountedSkipped() throws Exception {
    double before = server.metrics().requestCount(ExtProcMetrics.SKIPPED, MessageProcessor.HEADERS_TOO_LARGE);
    EnvoyHeaders headers = EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID)
        .raw("cookie", "c".repeat(9000));
    assertOnlyMarkerRemoved(client.requestHeaders(headers));
    assertThat(server.metrics().requestCount(ExtProcMetrics.SKIPPED, MessageProcessor.HEADERS_TOO_LARGE))
        .isEqualTo(before + 1);
  }

  /** Skipped requests go on untouched, except that a marker header the client sent is removed. */
  private static void assertOnlyMarkerRemoved(ProcessingResponse response) {
    HeaderMutation mutation = response.getRequestHeaders().getResponse().getHeaderMutation();
    assertThat(mutation.getSetHeadersList()).isEmpty();
    assertThat(mutation.getRemoveHeadersList()).containsExactly("x-meshtrace-repair");
  }

  /** The ways a request_headers message can go over the wire, each with a forged marker. */
  enum Path { PASS, REPAIR, REGENERATE, SKIPPED_TOO_MANY_HEADERS, SKIPPED_HEADERS_TOO_LARGE }

  static Stream<Arguments> forgedMarkerPaths() {
    return Stream.of(Path.values()).flatMap(path ->
        Stream.of(HeaderValueField.values()).map(field -> Arguments.of(path, field)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("forgedMarkerPaths")
  void forgedMarker_isRemovedOrOverwritten_onEveryPath(Path path, HeaderValueField field)
      throws Exception {
    EnvoyHeaders headers = EnvoyHeaders.request(field)
        .add("x-meshtrace-repair", "forged", "x-meshtrace-repair", "forged-again");
    switch (path) {
      case PASS -> headers.add(HeaderRulesEndToEndTest.complete());
      case REPAIR -> headers.add("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID);
      case REGENERATE -> headers.add("traceparent", "garbage");
      case SKIPPED_TOO_MANY_HEADERS -> {
        headers.add(HeaderRulesEndToEndTest.complete());
        for (int i = 0; i < 200; i++) {
          headers.add("x-custom-" + i, "v");
        }
      }
      case SKIPPED_HEADERS_TOO_LARGE -> headers.add("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID,
          "cookie", "c".repeat(9000));
    }
    ProcessingResponse response = client.requestHeaders(headers);
    RepairedRequest out = RepairedRequest.apply(headers.map(), response, field);
    List<String> markers = out.all("x-meshtrace-repair");
    if (path == Path.REPAIR || path == Path.REGENERATE) {
      assertThat(markers).as("output:%n%s", out).singleElement().asString()
          .doesNotContain("forged").matches("[a-z0-9-]+");
    } else {
      assertThat(markers).as("output:%n%s", out).isEmpty();
    }
  }

  @Test
  void messageOverTheGrpcLimit_failsThatStreamOnly() throws Exception {
    // 4 MiB is the smallest inbound message limit; 5 MiB of header value is refused by gRPC.
    EnvoyHeaders headers = EnvoyHeaders.request().raw("cookie", "c".repeat(5 << 20));
    RawExtProcClient.Stream stream = client.open();
    stream.send(headers.message());
    Status status = stream.closed().get(10, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void thousandsOfHeaders_passedUntouched_andCountedSkipped() throws Exception {
    double before = server.metrics().requestCount(ExtProcMetrics.SKIPPED, MessageProcessor.TOO_MANY_HEADERS);
    EnvoyHeaders headers = EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID);
    for (int i = 0; i < 5000; i++) {
      headers.raw("x-custom-" + i, "v" + i);
    }
    assertOnlyMarkerRemoved(client.requestHeaders(headers));
    assertThat(server.metrics().requestCount(ExtProcMetrics.SKIPPED, MessageProcessor.TOO_MANY_HEADERS))
        .isEqualTo(before + 1);
  }

  @Test
  void invalidUtf8InRawValue_isRepairedAsMalformed_neverEchoed() throws Exception {
    byte[] bad = {(byte) 0xff, (byte) 0xfe, '8', '0', (byte) 0xc3, (byte) 0x28, (byte) 0x80};
    EnvoyHeaders headers = EnvoyHeaders.request()
        .rawBytes("traceparent", bad)
        .rawBytes("x-b3-traceid", bad)
        .rawBytes("x-b3-spanid", bad)
        .rawBytes("b3", bad)
        .rawBytes("tracestate", bad)
        .raw("x-request-id", HeaderRulesEndToEndTest.RID);
    ProcessingResponse response = client.requestHeaders(headers);
    RepairedRequest out = RepairedRequest.apply(headers.map(), response);
    assertThat(out.w3c().isValid()).isTrue();
    assertThat(out.b3().isValid()).isTrue();
    assertThat(out.w3c().getTraceId()).isEqualTo(out.b3().getTraceId());
    response.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersList().forEach(set ->
        assertThat(set.getHeader().getRawValue().toString(StandardCharsets.ISO_8859_1))
            .matches("[\\x20-\\x7e]+"));
    assertThat(out.has("tracestate")).isFalse();
  }

  @Test
  void invalidUtf8InLegacyValueField_failsThatStreamOnly() throws Exception {
    // protobuf refuses invalid UTF-8 in a string field: the bytes are patched in after encoding.
    ProcessingRequest message = EnvoyHeaders.request().legacy("x-b3-traceid", "PATCHME!").message();
    byte[] bytes = message.toByteArray();
    byte[] marker = "PATCHME!".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(bytes, marker);
    assertThat(at).isPositive();
    for (int i = 0; i < marker.length; i++) {
      bytes[at + i] = (byte) 0xff;
    }
    MethodDescriptor<byte[], byte[]> raw = ExternalProcessorGrpc.getProcessMethod().toBuilder(
        new BytesMarshaller(), new BytesMarshaller()).build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(bytes);
    Status status = closed.get(10, TimeUnit.SECONDS);
    assertThat(status.isOk()).isFalse();
    // gRPC answers a request it cannot parse with UNKNOWN "Application error processing RPC".
    assertThat(status.getCode()).isEqualTo(Status.Code.UNKNOWN);
  }

  @Test
  void emptyStream_halfClosedAtOnce_completesCleanly() throws Exception {
    RawExtProcClient.Stream stream = client.open();
    stream.halfClose();
    assertThat(stream.closed().get(10, TimeUnit.SECONDS).isOk()).isTrue();
  }

  @Test
  void streamThatNeverSends_holdsOneSlot_untilCancelled() throws Exception {
    RawExtProcClient.Stream stream = client.open();
    stream.send(ProcessingRequest.newBuilder()
        .setResponseTrailers(HttpTrailers.getDefaultInstance()).build());
    stream.next(); // this one is established on the server; the silent one only by its headers
    RawExtProcClient.Stream silent = client.open();
    awaitActiveStreams(2);
    silent.cancel();
    stream.cancel();
    awaitActiveStreams(0);
  }

  @Test
  void streamThatNeverSends_isEndedAfterTheFirstMessageTimeout() throws Exception {
    double expiredBefore = expiredCount();
    long start = System.nanoTime();
    RawExtProcClient.Stream silent = client.open();
    // a stream that did send stays open past the timeout
    RawExtProcClient.Stream talking = client.open();
    try {
      talking.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
      talking.next();
      Status status = silent.closed().get(10, TimeUnit.SECONDS);
      assertThat(status.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(2_000);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (expiredCount() < expiredBefore + 1 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertThat(expiredCount()).isEqualTo(expiredBefore + 1);
      assertThat(talking.closed()).isNotDone();
      awaitActiveStreams(1);
    } finally {
      talking.halfClose();
    }
    assertThat(talking.closed().get(10, TimeUnit.SECONDS).isOk()).isTrue();
  }

  private static double expiredCount() throws IOException {
    java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
    server.metrics().writeText(text);
    String series = "meshtrace_extproc_streams_expired_total{timeout=\"first-message\"} ";
    for (String line : text.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith(series)) {
        return Double.parseDouble(line.substring(series.length()));
      }
    }
    throw new AssertionError(series + "not exported");
  }

  @Test
  void messageOfANewerKind_getsNoAnswer_andTheStreamGoesOn() throws Exception {
    // field 13 = client_window_update in newer ext_proc protos, unknown to 1.0.49
    ProcessingRequest newer = ProcessingRequest.newBuilder()
        .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
            .addField(13, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.EMPTY).build())
            .build())
        .build();
    RawExtProcClient.Stream stream = client.open();
    stream.send(newer);
    stream.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
    assertThat(stream.next()).isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
    stream.halfClose();
    assertThat(stream.closed().get(10, TimeUnit.SECONDS).isOk()).isTrue();
  }

  @Test
  void messageWithoutRequestKind_closesWithInvalidArgument() throws Exception {
    RawExtProcClient.Stream stream = client.open();
    stream.send(ProcessingRequest.getDefaultInstance());
    Status status = stream.closed().get(10, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void cancelAfterRequestHeaders_releasesTheStream() throws Exception {
    List<RawExtProcClient.Stream> streams = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      RawExtProcClient.Stream stream = client.open();
      stream.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
      stream.next();
      streams.add(stream);
    }
    awaitActiveStreams(20);
    streams.forEach(RawExtProcClient.Stream::cancel);
  }

  @Test
  void streamLimit_refusesWithResourceExhausted() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0",
        "--limits.max-concurrent-streams", "2");
    ExtProcServer limited = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    ManagedChannel limitedChannel = Grpc.newChannelBuilderForAddress("127.0.0.1", limited.port(),
        InsecureChannelCredentials.create()).build();
    try {
      RawExtProcClient limitedClient = new RawExtProcClient(limitedChannel);
      // The limit is server-wide: the third stream comes over a second connection.
      RawExtProcClient.Stream first = limitedClient.open();
      first.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
      first.next();
      RawExtProcClient.Stream second = limitedClient.open();
      second.send(EnvoyHeaders.request().raw(HeaderRulesEndToEndTest.complete()).message());
      second.next();
      ManagedChannel other = Grpc.newChannelBuilderForAddress("127.0.0.1", limited.port(),
          InsecureChannelCredentials.create()).build();
      try {
        RawExtProcClient.Stream third = new RawExtProcClient(other).open();
        third.send(EnvoyHeaders.request().message());
        assertThat(third.closed().get(10, TimeUnit.SECONDS).getCode())
            .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      } finally {
        other.shutdownNow();
      }
      first.halfClose();
      second.halfClose();
      assertThat(first.closed().get(10, TimeUnit.SECONDS).isOk()).isTrue();
      assertThat(second.closed().get(10, TimeUnit.SECONDS).isOk()).isTrue();
      assertThat(limited.activeStreams()).isZero();
      assertThat(limited.metrics().requestCount("pass", "none")).isEqualTo(2);
    } finally {
      limitedChannel.shutdownNow();
      limited.shutdownGracefully(Duration.ofSeconds(1));
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
