package io.meshtrace.extproc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.meshtrace.context.Reason;
import io.meshtrace.context.RepairResult;
import io.meshtrace.context.TraceContextRepair;
import io.meshtrace.context.Verdict;
import io.meshtrace.extproc.config.HeaderNames;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one ext_proc message with exactly one response of the matching kind.
 *
 * <p>{@code request_headers}: runs the repair engine over the headers in place and answers with
 * a {@code HeadersResponse} whose {@code HeaderMutation} sets ({@code OVERWRITE_IF_EXISTS_OR_ADD},
 * values in the field the stream's request headers used, {@link HeaderValueField}) and removes
 * exactly what the verdict says, plus the marker header. A marker header the client sent itself
 * never reaches the gateway's span: repair overwrites it, every other outcome (pass, over a
 * limit, engine failure) removes it. Mutations of headers Envoy protects (pseudo-headers,
 * {@code host}, {@code x-envoy-*}) are never sent. Every other kind gets the matching empty
 * response, except bodies in the modes where the processor must send the body back
 * ({@code FULL_DUPLEX_STREAMED}, and {@code GRPC} of gRPC clients): those are echoed unchanged
 * in a {@code streamed_response}. Plain Java, no gRPC: the service hands each message here.
 */
final class MessageProcessor {

  private static final Logger log = LoggerFactory.getLogger(MessageProcessor.class);
  private static final VarHandle WORDS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  static final ProcessingResponse EMPTY_REQUEST_HEADERS =
      ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.getDefaultInstance()).build();
  static final ProcessingResponse EMPTY_RESPONSE_HEADERS =
      ProcessingResponse.newBuilder().setResponseHeaders(HeadersResponse.getDefaultInstance()).build();
  static final ProcessingResponse EMPTY_REQUEST_BODY =
      ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build();
  static final ProcessingResponse EMPTY_RESPONSE_BODY =
      ProcessingResponse.newBuilder().setResponseBody(BodyResponse.getDefaultInstance()).build();
  static final ProcessingResponse EMPTY_REQUEST_TRAILERS =
      ProcessingResponse.newBuilder().setRequestTrailers(TrailersResponse.getDefaultInstance()).build();
  static final ProcessingResponse EMPTY_RESPONSE_TRAILERS =
      ProcessingResponse.newBuilder().setResponseTrailers(TrailersResponse.getDefaultInstance()).build();

  static final String TOO_MANY_HEADERS = "too-many-headers";
  static final String HEADERS_TOO_LARGE = "headers-too-large";
  static final String ENGINE_FAILURE = "engine-failure";

  /**
   * Swapped whole by {@link #repair(TraceContextRepair)} (the policy changed while running): one
   * volatile read per request, and a request sees one policy from start to end.
   */
  private volatile TraceContextRepair repair;
  private final String markerHeader;
  private final int maxHeaders;
  private final int maxHeaderBytes;
  private final ExtProcMetrics metrics;
  /**
   * Removes a marker the client sent itself, so the gateway span never carries a forged tag;
   * {@link #EMPTY_REQUEST_HEADERS} without marker.
   */
  private final ProcessingResponse stripForgedMarker;
  /**
   * The marker header set to each reason's code, by {@code HeaderValueField.ordinal()} then
   * {@code Reason.ordinal()}; null without marker.
   */
  private final HeaderValueOption[][] markers;

  /**
   * @param markerHeader header set to the reason code on repair / regenerate, or null for none
   */
  MessageProcessor(TraceContextRepair repair, String markerHeader, int maxHeaders,
      int maxHeaderBytes, ExtProcMetrics metrics) {
    this.repair = repair;
    this.markerHeader = markerHeader;
    this.maxHeaders = maxHeaders;
    this.maxHeaderBytes = maxHeaderBytes;
    this.metrics = metrics;
    this.stripForgedMarker = markerHeader == null
        ? EMPTY_REQUEST_HEADERS
        : ProcessingResponse.newBuilder()
            .setRequestHeaders(HeadersResponse.newBuilder()
                .setResponse(CommonResponse.newBuilder()
                    .setHeaderMutation(HeaderMutation.newBuilder().addRemoveHeaders(markerHeader))))
            .build();
    if (markerHeader == null) {
      this.markers = null;
    } else {
      Reason[] reasons = Reason.values();
      HeaderValueField[] fields = HeaderValueField.values();
      this.markers = new HeaderValueOption[fields.length][reasons.length];
      for (Reason reason : reasons) {
        markers[HeaderValueField.RAW_VALUE.ordinal()][reason.ordinal()] = setRawValue(
            markerHeader, ByteString.copyFrom(reason.code(), StandardCharsets.US_ASCII));
        markers[HeaderValueField.VALUE.ordinal()][reason.ordinal()] =
            setValue(markerHeader, reason.code());
      }
    }
  }

  /** {@code BodySendMode} values whose bodies the processor has to send back. */
  private static final int FULL_DUPLEX_STREAMED = 4;
  private static final int GRPC = 5;

  /**
   * True for the body modes (from the stream's {@code protocol_config}) in which the processor
   * must return every body chunk: Envoy's {@code FULL_DUPLEX_STREAMED} and gRPC's {@code GRPC}
   * (value 5, newer than the protos built on here).
   */
  /** The engine requests are repaired with. */
  TraceContextRepair repair() {
    return repair;
  }

  /** Repairs the requests that come after with {@code next}; those in flight finish as they are. */
  void repair(TraceContextRepair next) {
    repair = Objects.requireNonNull(next, "next");
  }

  static boolean bodyComesBack(int bodySendMode) {
    return bodySendMode == FULL_DUPLEX_STREAMED || bodySendMode == GRPC;
  }

  /**
   * The response for {@code request}, or null when it carries no request kind at all (no Envoy
   * sends that; the caller ends the stream with INVALID_ARGUMENT). Records in {@code stream}
   * what a {@code protocol_config} and the first {@code request_headers} say about the peer.
   */
  ProcessingResponse process(ProcessingRequest request, long streamId, StreamState stream) {
    if (request.hasProtocolConfig()) {
      ProtocolConfiguration config = request.getProtocolConfig();
      stream.echoRequestBody = bodyComesBack(config.getRequestBodyModeValue());
      stream.echoResponseBody = bodyComesBack(config.getResponseBodyModeValue());
    }
    switch (request.getRequestCase()) {
      case REQUEST_HEADERS:
        metrics.message(MessageKind.REQUEST_HEADERS);
        HttpHeaders headers = request.getRequestHeaders();
        if (stream.valueField == null) {
          stream.valueField = HeaderValueField.of(headers.getHeaders());
        }
        return onRequestHeaders(headers, streamId, stream.valueField,
            stream.receivedNanos != 0 ? stream.receivedNanos : System.nanoTime());
      case RESPONSE_HEADERS:
        metrics.message(MessageKind.RESPONSE_HEADERS);
        return EMPTY_RESPONSE_HEADERS;
      case REQUEST_BODY:
        metrics.message(MessageKind.REQUEST_BODY);
        return stream.echoRequestBody
            ? ProcessingResponse.newBuilder().setRequestBody(unchanged(request.getRequestBody())).build()
            : EMPTY_REQUEST_BODY;
      case RESPONSE_BODY:
        metrics.message(MessageKind.RESPONSE_BODY);
        return stream.echoResponseBody
            ? ProcessingResponse.newBuilder().setResponseBody(unchanged(request.getResponseBody())).build()
            : EMPTY_RESPONSE_BODY;
      case REQUEST_TRAILERS:
        metrics.message(MessageKind.REQUEST_TRAILERS);
        return EMPTY_REQUEST_TRAILERS;
      case RESPONSE_TRAILERS:
        metrics.message(MessageKind.RESPONSE_TRAILERS);
        return EMPTY_RESPONSE_TRAILERS;
      default:
        return null;
    }
  }

  /**
   * True for a message whose kind is newer than the protos built on here (it arrives as unknown
   * fields, e.g. gRPC's client window updates): such messages are informational and get no
   * answer, while every kind that needs one is known.
   */
  static boolean isNewerKind(ProcessingRequest request) {
    return request.getRequestCase() == ProcessingRequest.RequestCase.REQUEST_NOT_SET
        && !request.getUnknownFields().asMap().isEmpty();
  }

  /**
   * The answer to {@code request_headers}; mutation values go in {@code field}.
   */
  ProcessingResponse onRequestHeaders(HttpHeaders headers, long streamId, HeaderValueField field) {
    return onRequestHeaders(headers, streamId, field, System.nanoTime());
  }

  /** {@link #onRequestHeaders(HttpHeaders, long, HeaderValueField)}, timed from {@code start}. */
  private ProcessingResponse onRequestHeaders(HttpHeaders headers, long streamId,
      HeaderValueField field, long start) {
    HeaderMapView view = new HeaderMapView(headers.getHeaders());
    if (view.size() > maxHeaders) {
      return skip(streamId, TOO_MANY_HEADERS, view.size(), start);
    }
    // One pass counts the bytes and looks for a forged marker (needed on pass).
    long sized = view.byteSize(markerHeader);
    boolean markerSent = sized < 0;
    long bytes = markerSent ? -sized - 1 : sized;
    if (bytes > maxHeaderBytes) {
      return skip(streamId, HEADERS_TOO_LARGE, bytes, start);
    }
    RepairResult result;
    try {
      result = repair.repair(view);
    } catch (RuntimeException e) {
      // The engine promises not to throw; if it does, the request goes on untouched.
      metrics.outcome(ExtProcMetrics.ERROR, ENGINE_FAILURE);
      log.warn("stream={} repair failed, request passed untouched", streamId, e);
      metrics.latencyNanos(System.nanoTime() - start);
      return stripForgedMarker;
    }
    metrics.verdict(result.verdict(), result.reason());
    ProcessingResponse response = result.verdict() != Verdict.PASS
        ? mutationResponse(result, streamId, field)
        : markerSent
            ? stripForgedMarker
            : EMPTY_REQUEST_HEADERS;
    metrics.latencyNanos(System.nanoTime() - start);
    if (log.isDebugEnabled()) {
      log.debug("stream={} verdict={} reason={} trace_id={} span_id={} mutations={}", streamId,
          result.verdict(), result.reason().code(), result.traceId(), result.spanId(),
          result.mutationCount());
    }
    return response;
  }

  /**
   * Over a limit: the request goes on untouched but for a marker the client sent, removed
   * without looking for it (the header list is the oversized part; removing an absent header
   * changes nothing).
   */
  private ProcessingResponse skip(long streamId, String reason, long amount, long start) {
    metrics.outcome(ExtProcMetrics.SKIPPED, reason);
    metrics.latencyNanos(System.nanoTime() - start);
    if (log.isDebugEnabled()) {
      log.debug("stream={} verdict=skipped reason={} amount={}", streamId, reason, amount);
    }
    return stripForgedMarker;
  }

  private ProcessingResponse mutationResponse(RepairResult result, long streamId,
      HeaderValueField field) {
    HeaderMutation.Builder mutation = HeaderMutation.newBuilder();
    for (int i = 0, n = result.mutationCount(); i < n; i++) {
      String name = result.mutationName(i);
      HeaderValueOption set = null;
      if (HeaderNames.isProtected(name)
          || (!result.isRemove(i) && (set = set(result, i, field)) == null)) {
        metrics.mutationDropped();
        log.warn("stream={} dropped mutation of {}: not allowed or unsafe value", streamId, name);
        continue;
      }
      if (set == null) {
        mutation.addRemoveHeaders(name);
      } else {
        mutation.addSetHeaders(set);
      }
    }
    if (markers != null) {
      mutation.addSetHeaders(markers[field.ordinal()][result.reason().ordinal()]);
    }
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setHeaderMutation(mutation)))
        .build();
  }

  /**
   * The chunk sent back as it came. Fields newer than our protos (gRPC's
   * {@code end_of_stream_without_message}, {@code grpc_message_compressed}) have the same numbers
   * in {@code HttpBody} and {@code StreamedBodyResponse}, so they travel as unknown fields.
   */
  private static BodyResponse unchanged(HttpBody body) {
    return BodyResponse.newBuilder()
        .setResponse(CommonResponse.newBuilder()
            .setBodyMutation(BodyMutation.newBuilder()
                .setStreamedResponse(StreamedBodyResponse.newBuilder()
                    .setBody(body.getBody())
                    .setEndOfStream(body.getEndOfStream())
                    .setUnknownFields(body.getUnknownFields()))))
        .build();
  }

  /**
   * Sets mutation {@code i}'s header to its value in {@code field} only (both set is an error),
   * or null when the value is not safe to send ({@link #isSafeValue}). For {@code raw_value} the
   * value's bytes are copied once, into the array the {@code ByteString} then wraps.
   */
  private static HeaderValueOption set(RepairResult result, int i, HeaderValueField field) {
    String name = result.mutationName(i);
    if (field == HeaderValueField.RAW_VALUE) {
      byte[] bytes = new byte[result.valueLength(i)];
      result.copyValue(i, bytes, 0);
      return isSafeValue(bytes) ? setRawValue(name, UnsafeByteOperations.unsafeWrap(bytes)) : null;
    }
    String value = result.mutationValue(i);
    return isSafeValue(value) ? setValue(name, value) : null;
  }

  private static HeaderValueOption setRawValue(String name, ByteString rawValue) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setRawValue(rawValue))
        .setAppendAction(HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  private static HeaderValueOption setValue(String name, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  /**
   * {@link #isSafeValue(String)} over bytes, 8 at a time: a byte is 0x20 to 0x7e exactly when
   * it has bit 7 clear, adding 0x60 sets it and adding 0x01 does not (no carry between bytes
   * below 0x80). A word that fails (a tab, or an unsafe byte) is decided byte by byte.
   */
  static boolean isSafeValue(byte[] value) {
    int i = 0;
    for (int words = value.length & ~7; i < words; i += 8) {
      long w = (long) WORDS.get(value, i);
      if (((w | ~(w + 0x6060606060606060L) | (w + 0x0101010101010101L)) & 0x8080808080808080L) != 0) {
        break;
      }
    }
    for (; i < value.length; i++) {
      byte b = value[i];
      if ((b < 0x20 && b != '\t') || b > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** Visible ASCII, space and tab only: Envoy rejects the whole response for a CR or LF. */
  static boolean isSafeValue(String value) {
    for (int i = 0, n = value.length(); i < n; i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
