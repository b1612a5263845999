package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.TraceContextRepair;
import io.meshtrace.extproc.config.HeaderNames;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The per-message logic without gRPC. */
class MessageProcessorTest {

  private final ExtProcMetrics metrics = new ExtProcMetrics(() -> 0);
  private final MessageProcessor processor = new MessageProcessor(
      TraceContextRepair.create(RepairPolicy.defaults()), "x-meshtrace-repair", 100, 4096, metrics);

  @Test
  void everyNonHeaderKind_getsItsEmptyResponse() {
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.getDefaultInstance()).build(), 1, false, false))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_HEADERS);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("x"))).build(), 1, false, false))
        .isEqualTo(MessageProcessor.EMPTY_REQUEST_BODY);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setResponseBody(HttpBody.getDefaultInstance()).build(), 1, false, false))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_BODY);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setRequestTrailers(HttpTrailers.getDefaultInstance()).build(), 1, false, false))
        .isEqualTo(MessageProcessor.EMPTY_REQUEST_TRAILERS);
    assertThat(processor.process(ProcessingRequest.newBuilder()
        .setResponseTrailers(HttpTrailers.getDefaultInstance()).build(), 1, false, false))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_TRAILERS);
    assertThat(processor.process(ProcessingRequest.getDefaultInstance(), 1, false, false)).isNull();
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
        ProcessingRequest.newBuilder().setRequestBody(body).build(), 1, true, false);
    var streamed = request.getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
    assertThat(streamed.getBody()).isEqualTo(body.getBody());
    assertThat(streamed.getEndOfStream()).isTrue();
    assertThat(streamed.getUnknownFields()).isEqualTo(newer);

    ProcessingResponse response = processor.process(
        ProcessingRequest.newBuilder().setResponseBody(body).build(), 1, false, true);
    assertThat(response.getResponseBody().getResponse().getBodyMutation().getStreamedResponse()
        .getBody()).isEqualTo(body.getBody());
    assertThat(processor.process(
        ProcessingRequest.newBuilder().setResponseBody(body).build(), 1, true, false))
        .isEqualTo(MessageProcessor.EMPTY_RESPONSE_BODY);
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

  @Test
  void repair_setsRawValueOnly_overwrites_andAddsTheMarker() {
    ProcessingResponse response = processor.onRequestHeaders(HttpHeaders.newBuilder()
        .setHeaders(EnvoyHeaders.request().raw("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124").map())
        .build(), 7);
    var sets = response.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersList();
    assertThat(sets).isNotEmpty().allSatisfy(set -> {
      assertThat(set.getHeader().getValue()).isEmpty();
      assertThat(set.getHeader().getRawValue().isEmpty()).isFalse();
      assertThat(set.hasAppend()).isFalse();
      assertThat(set.getAppendAction().name()).isEqualTo("OVERWRITE_IF_EXISTS_OR_ADD");
    });
    assertThat(sets).anySatisfy(set -> {
      assertThat(set.getHeader().getKey()).isEqualTo("x-meshtrace-repair");
      assertThat(set.getHeader().getRawValue().toString(StandardCharsets.US_ASCII))
          .isEqualTo("b3-span-id-missing");
    });
    assertThat(metrics.requestCount("repair", "b3-span-id-missing")).isEqualTo(1);
  }

  @Test
  void markerOff_addsNoMarker() {
    MessageProcessor noMarker = new MessageProcessor(
        TraceContextRepair.create(RepairPolicy.defaults()), null, 100, 4096, metrics);
    ProcessingResponse response = noMarker.onRequestHeaders(HttpHeaders.newBuilder()
        .setHeaders(EnvoyHeaders.request().raw("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124").map())
        .build(), 7);
    assertThat(response.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersList())
        .isNotEmpty()
        .noneSatisfy(set -> assertThat(set.getHeader().getKey()).isEqualTo("x-meshtrace-repair"));
  }

  @Test
  void pass_withMarkerSentByTheClient_removesOnlyTheForgedMarker() {
    EnvoyHeaders valid = EnvoyHeaders.request().raw(
        "traceparent", "00-463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-01",
        "x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124",
        "x-b3-spanid", "a2fb4a1d1a96d312",
        "x-b3-sampled", "1",
        "x-request-id", "6f0c0b4e-3a5e-4d8c-9f55-0d2b5f8c1e21");
    assertThat(processor.onRequestHeaders(HttpHeaders.newBuilder().setHeaders(valid.map()).build(), 3))
        .isSameAs(MessageProcessor.EMPTY_REQUEST_HEADERS);

    ProcessingResponse forged = processor.onRequestHeaders(HttpHeaders.newBuilder()
        .setHeaders(valid.raw("x-meshtrace-repair", "regenerate").map()).build(), 4);
    var mutation = forged.getRequestHeaders().getResponse().getHeaderMutation();
    assertThat(mutation.getRemoveHeadersList()).containsExactly("x-meshtrace-repair");
    assertThat(mutation.getSetHeadersList()).isEmpty();
    assertThat(metrics.requestCount("pass", "none")).isEqualTo(2);
  }

  @Test
  void limits_passUntouched_andCountSkipped() {
    EnvoyHeaders many = EnvoyHeaders.request();
    for (int i = 0; i < 101; i++) {
      many.raw("x-h" + i, "v");
    }
    assertThat(processor.onRequestHeaders(HttpHeaders.newBuilder().setHeaders(many.map()).build(), 1))
        .isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
    assertThat(processor.onRequestHeaders(HttpHeaders.newBuilder()
        .setHeaders(EnvoyHeaders.request().raw("cookie", "c".repeat(5000)).map()).build(), 1))
        .isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
    assertThat(metrics.requestCount("skipped", "too-many-headers")).isEqualTo(1);
    assertThat(metrics.requestCount("skipped", "headers-too-large")).isEqualTo(1);
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
}
