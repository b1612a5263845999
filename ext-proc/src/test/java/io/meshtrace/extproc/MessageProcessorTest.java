package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.TraceContextRepair;
import io.meshtrace.extproc.config.HeaderNames;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The per-message logic without gRPC. */
class MessageProcessorTest {

  private final ExtProcMetrics metrics = new ExtProcMetrics(() -> 0, () -> 0);
  private final MessageProcessor processor = new MessageProcessor(
      TraceContextRepair.create(RepairPolicy.defaults()), "x-meshtrace-repair", 100, 4096, metrics);

  @Test
  void everyNonHeaderKind_getsItsEmptyResponse() {
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.getDefaultInstance()).build(), 1, new StreamState()))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_HEADERS);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("x"))).build(), 1, new StreamState()))
        .isEqualTo(MessageProcessor.EMPTY_REQUEST_BODY);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setResponseBody(HttpBody.getDefaultInstance()).build(), 1, new StreamState()))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_BODY);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setRequestTrailers(HttpTrailers.getDefaultInstance()).build(), 1, new StreamState()))
        .isEqualTo(MessageProcessor.EMPTY_REQUEST_TRAILERS);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setResponseTrailers(HttpTrailers.getDefaultInstance()).build(), 1, new StreamState()))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_TRAILERS);
    assertThat(processor.process(ProcessingRequest.getDefaultInstance(), 1, new StreamState())).isNull();
  }

  @Test
  void bodiesInModesThatNeedThemBack_areEchoedUnchanged_withNewerFieldsKept() {
    assertThat(MessageProcessor.bodyComesBack(4)).as("FULL_DUPLEX_STREAMED").isTrue();
    assertThat(MessageProcessor.bodyComesBack(5)).as("GRPC").isTrue();
    assertThat(MessageProcessor.bodyComesBack(1)).as("STREAMED").isFalse();
    assertThat(MessageProcessor.bodyComesBack(2)).as("BUFFERED").isFalse();
    // field 3 = end_of_stream_without_message in newer protos
    UnknownFieldSet newer = UnknownFieldSet.newBuilder()
        .addField(3, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
    HttpBody body = HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("\0\0\0\0\2hi"))
        .setEndOfStream(true).setUnknownFields(newer).build();

    ProcessingResponse request = processor.process(
        ProcessingRequest.newBuilder().setRequestBody(body).build(), 1, echo(true, false));
    var streamed = request.getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
    assertThat(streamed.getBody()).isEqualTo(body.getBody());
    assertThat(streamed.getEndOfStream()).isTrue();
    assertThat(streamed.getUnknownFields()).isEqualTo(newer);

    ProcessingResponse response = processor.process(
        ProcessingRequest.newBuilder().setResponseBody(body).build(), 1, echo(false, true));
    assertThat(response.getResponseBody().getResponse().getBodyMutation().getStreamedResponse()
        .getBody()).isEqualTo(body.getBody());
    assertThat(processor.process(
        ProcessingRequest.newBuilder().setResponseBody(body).build(), 1, echo(true, false)))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_BODY);
  }

  private static StreamState echo(boolean requestBody, boolean responseBody) {
    StreamState state = new StreamState();
    state.echoRequestBody = requestBody;
    state.echoResponseBody = responseBody;
    return state;
  }

  @Test
  void protocolConfig_setsTheEchoModesOfTheStream() {
    StreamState state = new StreamState();
    processor.process(EnvoyHeaders.request().message().toBuilder()
        .setProtocolConfig(ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
            .setResponseBodyMode(BodySendMode.STREAMED))
        .build(), 1, state);
    assertThat(state.echoRequestBody).isTrue();
    assertThat(state.echoResponseBody).isFalse();
  }

  @Test
  void emptyResponses_carryTheMatchingKind() {
    assertThat(MessageProcessor.EMPTY_REQUEST_HEADERS.getResponseCase())
        .isEqualTo(ProcessingResponse.ResponseCase.REQUEST_HEADERS);
    assertThat(MessageProcessor.EMPTY_RESPONSE_HEADERS.getResponseCase())
        .isEqualTo(ProcessingResponse.ResponseCase.RESPONSE_HEADERS);
    assertThat(MessageProcessor.EMPTY_REQUEST_BODY.getResponseCase())
        .isEqualTo(ProcessingResponse.ResponseCase.REQUEST_BODY);
    assertThat(MessageProcessor.EMPTY_RESPONSE_BODY.getResponseCase())
        .isEqualTo(ProcessingResponse.ResponseCase.RESPONSE_BODY);
    assertThat(MessageProcessor.EMPTY_REQUEST_TRAILERS.getResponseCase())
        .isEqualTo(ProcessingResponse.ResponseCase.REQUEST_TRAILERS);
    assertThat(MessageProcessor.EMPTY_RESPONSE_TRAILERS.getResponseCase())
        .isEqualTo(ProcessingResponse.ResponseCase.RESPONSE_TRAILERS);
  }

  /** The answer to {@code headers} as the first request_headers of a new stream. */
  private ProcessingResponse firstRequestHeaders(MessageProcessor target, EnvoyHeaders headers) {
    return target.process(headers.message(), 7, new StreamState());
  }

  private static List<HeaderValueOption> sets(ProcessingResponse response) {
    return response.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersList();
  }

  @ParameterizedTest
  @EnumSource(HeaderValueField.class)
  void repair_setsValuesInTheRequestsFieldOnly_overwrites_andAddsTheMarker(HeaderValueField field) {
    ProcessingResponse response = firstRequestHeaders(processor,
        EnvoyHeaders.request(field).add("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"));
    assertThat(sets(response)).hasSizeGreaterThan(2).allSatisfy(set -> {
      if (field == HeaderValueField.RAW_VALUE) {
        assertThat(set.getHeader().getValue()).isEmpty();
        assertThat(set.getHeader().getRawValue().isEmpty()).isFalse();
      } else {
        assertThat(set.getHeader().getRawValue().isEmpty()).isTrue();
        assertThat(set.getHeader().getValue()).isNotEmpty();
      }
      assertThat(set.hasAppend()).isFalse();
      assertThat(set.getAppendAction().name()).isEqualTo("OVERWRITE_IF_EXISTS_OR_ADD");
    });
    assertThat(sets(response)).anySatisfy(set -> {
      assertThat(set.getHeader().getKey()).isEqualTo("x-meshtrace-repair");
      assertThat(RepairedRequest.apply(EnvoyHeaders.request(field).map(), response)
          .first("x-meshtrace-repair")).isEqualTo("b3-span-id-missing");
    });
    assertThat(metrics.requestCount("repair", "b3-span-id-missing")).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(HeaderValueField.class)
  void valueField_isDetectedFromTheFirstRequestHeaders_andKeptForTheStream(HeaderValueField field) {
    StreamState state = new StreamState();
    processor.process(EnvoyHeaders.request(field).add("x-b3-traceid", TRACE_ID).message(), 1, state);
    assertThat(state.valueField).isEqualTo(field);
    // A later message of the stream with the values in the other field changes nothing.
    HeaderValueField other = field == HeaderValueField.VALUE
        ? HeaderValueField.RAW_VALUE : HeaderValueField.VALUE;
    ProcessingResponse second = processor.process(
        EnvoyHeaders.request(other).add("x-b3-traceid", TRACE_ID).message(), 1, state);
    assertThat(state.valueField).isEqualTo(field);
    assertThat(sets(second)).allSatisfy(set -> assertThat(field == HeaderValueField.RAW_VALUE
        ? set.getHeader().getValue() : set.getHeader().getRawValue().toStringUtf8()).isEmpty());
  }

  @Test
  void valueField_ofHeadersWithoutValues_isRawValue() {
    assertThat(HeaderValueField.of(HeaderMap.getDefaultInstance()))
        .isEqualTo(HeaderValueField.RAW_VALUE);
    assertThat(HeaderValueField.of(HeaderMap.newBuilder()
        .addHeaders(HeaderValue.newBuilder().setKey("x-empty"))
        .addHeaders(HeaderValue.newBuilder().setKey("x-legacy").setValue("1"))
        .build())).isEqualTo(HeaderValueField.VALUE);
  }

  @Test
  void markerOff_addsNoMarker() {
    MessageProcessor noMarker = new MessageProcessor(
        TraceContextRepair.create(RepairPolicy.defaults()), null, 100, 4096, metrics);
    ProcessingResponse response = firstRequestHeaders(noMarker,
        EnvoyHeaders.request().add("x-b3-traceid", TRACE_ID));
    assertThat(sets(response)).isNotEmpty()
        .noneSatisfy(set -> assertThat(set.getHeader().getKey()).isEqualTo("x-meshtrace-repair"));
  }

  static final String TRACE_ID = "463ac35c9f6413ad48485a3953bb6124";
  static final String[] COMPLETE = {
      "traceparent", "00-463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-01",
      "x-b3-traceid", TRACE_ID,
      "x-b3-spanid", "a2fb4a1d1a96d312",
      "x-b3-sampled", "1",
      "x-request-id", "6f0c0b4e-3a5e-4d8c-9f55-0d2b5f8c1e21"};

  @ParameterizedTest
  @EnumSource(HeaderValueField.class)
  void pass_withoutMarker_isTheEmptyResponse(HeaderValueField field) {
    assertThat(firstRequestHeaders(processor, EnvoyHeaders.request(field).add(COMPLETE)))
        .isSameAs(MessageProcessor.EMPTY_REQUEST_HEADERS);
  }

  /** Every way a request_headers message can go, each with a marker the client forged. */
  enum ForgedMarkerPath { PASS, REPAIR, REGENERATE, SKIPPED_TOO_MANY_HEADERS,
      SKIPPED_HEADERS_TOO_LARGE, ENGINE_FAILURE }

  static Stream<Arguments> forgedMarkerPaths() {
    return Stream.of(ForgedMarkerPath.values()).flatMap(path ->
        Stream.of(HeaderValueField.values()).map(field -> Arguments.of(path, field)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("forgedMarkerPaths")
  void forgedMarker_neverReachesTheUpstream_onAnyPath(ForgedMarkerPath path, HeaderValueField field) {
    MessageProcessor target = processor;
    EnvoyHeaders headers = EnvoyHeaders.request(field).add("x-meshtrace-repair", "forged");
    boolean markerSet = false;
    switch (path) {
      case PASS -> headers.add(COMPLETE);
      case REPAIR -> {
        headers.add("x-b3-traceid", TRACE_ID);
        markerSet = true;
      }
      case REGENERATE -> {
        headers.add("traceparent", "00-" + TRACE_ID.toUpperCase() + "-a2fb4a1d1a96d312-01");
        markerSet = true;
      }
      case SKIPPED_TOO_MANY_HEADERS -> {
        headers.add("x-b3-traceid", TRACE_ID);
        for (int i = 0; i < 101; i++) {
          headers.add("x-h" + i, "v");
        }
      }
      case SKIPPED_HEADERS_TOO_LARGE -> headers.add("x-b3-traceid", TRACE_ID, "cookie", "c".repeat(5000));
      case ENGINE_FAILURE -> {
        target = new MessageProcessor(TraceContextRepair.create(RepairPolicy.defaults(), () -> {
          throw new IllegalStateException("no ids today");
        }), "x-meshtrace-repair", 100, 4096, metrics);
        headers.add("x-request-id", "6f0c0b4e-3a5e-4d8c-9f55-0d2b5f8c1e21");
      }
    }
    ProcessingResponse response = firstRequestHeaders(target, headers);
    RepairedRequest out = RepairedRequest.apply(headers.map(), response, field);
    if (!markerSet) {
      assertThat(out.all("x-meshtrace-repair")).as("output:%n%s", out).isEmpty();
    } else {
      assertThat(out.all("x-meshtrace-repair")).as("output:%n%s", out).hasSize(1)
          .allSatisfy(marker -> assertThat(marker).isNotEqualTo("forged").matches("[a-z0-9-]+"));
    }
    assertThat(sets(response)).allSatisfy(set -> assertThat(field == HeaderValueField.RAW_VALUE
        ? set.getHeader().getValue() : set.getHeader().getRawValue().toStringUtf8())
        .as("the other field").isEmpty());
    switch (path) {
      case SKIPPED_TOO_MANY_HEADERS ->
          assertThat(metrics.requestCount("skipped", "too-many-headers")).isEqualTo(1);
      case SKIPPED_HEADERS_TOO_LARGE ->
          assertThat(metrics.requestCount("skipped", "headers-too-large")).isEqualTo(1);
      case ENGINE_FAILURE -> assertThat(metrics.requestCount("error", "engine-failure")).isEqualTo(1);
      default -> { }
    }
  }

  @Test
  void limits_passUntouched_butForAForgedMarker_andCountSkipped() {
    EnvoyHeaders many = EnvoyHeaders.request();
    for (int i = 0; i < 101; i++) {
      many.raw("x-h" + i, "v");
    }
    ProcessingResponse tooMany = firstRequestHeaders(processor, many);
    assertThat(sets(tooMany)).isEmpty();
    assertThat(tooMany.getRequestHeaders().getResponse().getHeaderMutation().getRemoveHeadersList())
        .containsExactly("x-meshtrace-repair");
    ProcessingResponse tooLarge = firstRequestHeaders(processor,
        EnvoyHeaders.request().raw("cookie", "c".repeat(5000)));
    assertThat(tooLarge).isSameAs(tooMany);
    assertThat(metrics.requestCount("skipped", "too-many-headers")).isEqualTo(1);
    assertThat(metrics.requestCount("skipped", "headers-too-large")).isEqualTo(1);

    MessageProcessor noMarker = new MessageProcessor(
        TraceContextRepair.create(RepairPolicy.defaults()), null, 100, 4096, metrics);
    assertThat(firstRequestHeaders(noMarker, many)).isSameAs(MessageProcessor.EMPTY_REQUEST_HEADERS);
  }

  @ParameterizedTest
  @ValueSource(strings = {":path", ":authority", ":method", "host", "x-envoy-original-path",
      "x-envoy-decorator-operation", ""})
  void protectedHeaders_areRecognised(String name) {
    assertThat(HeaderNames.isProtected(name)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"traceparent", "x-b3-spanid", "x-request-id", "x-meshtrace-repair",
      "hostname", "x-envoy", "x-envoyx"})
  void ordinaryHeaders_areNotProtected(String name) {
    assertThat(HeaderNames.isProtected(name)).isFalse();
  }

  @Test
  void unsafeValues_areRecognised() {
    assertThat(MessageProcessor.isSafeValue("00-abc-01")).isTrue();
    assertThat(MessageProcessor.isSafeValue("a b\tc")).isTrue();
    assertThat(MessageProcessor.isSafeValue("a\r\nx-injected: 1")).isFalse();
    assertThat(MessageProcessor.isSafeValue("caf\u00e9")).isFalse();
    assertThat(MessageProcessor.isSafeValue("\u0000")).isFalse();
  }

  @Test
  void unsafeBytes_wordWiseCheck_agreesWithTheCharCheck() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(12);
    for (int n = 0; n < 50_000; n++) {
      byte[] value = new byte[random.nextInt(40)];
      for (int i = 0; i < value.length; i++) {
        value[i] = random.nextInt(8) == 0 ? (byte) random.nextInt(256)
            : (byte) (0x20 + random.nextInt(0x5f));
      }
      String chars = new String(value, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(MessageProcessor.isSafeValue(value)).as("%s", chars)
          .isEqualTo(MessageProcessor.isSafeValue(chars));
    }
    for (int b = 0; b < 256; b++) {
      for (int pos = 0; pos < 17; pos++) {
        byte[] value = "00-0af7651916cd4".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        value = java.util.Arrays.copyOf(value, 17);
        value[16] = 'x';
        value[pos] = (byte) b;
        String chars = new String(value, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(MessageProcessor.isSafeValue(value)).as("byte %d at %d", b, pos)
            .isEqualTo(MessageProcessor.isSafeValue(chars));
      }
    }
  }
}
