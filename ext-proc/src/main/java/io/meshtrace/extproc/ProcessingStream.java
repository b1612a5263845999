package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc stream (one HTTP request at the gateway). Answers each message through the
 * {@link MessageProcessor}; releases its slot exactly once, whether Envoy ends, resets or
 * cancels the stream, and never writes after that.
 */
final class ProcessingStream implements StreamObserver<ProcessingRequest> {

  private static final Logger log = LoggerFactory.getLogger(ProcessingStream.class);

  private final long id;
  private final ServerCallStreamObserver<ProcessingResponse> responses;
  private final MessageProcessor processor;
  private final StreamTracker tracker;
  private final AtomicBoolean finished = new AtomicBoolean();
  // Set from the first message's protocol_config; gRPC delivers one message at a time.
  private boolean echoRequestBody;
  private boolean echoResponseBody;

  ProcessingStream(long id, ServerCallStreamObserver<ProcessingResponse> responses,
      MessageProcessor processor, StreamTracker tracker) {
    this.id = id;
    this.responses = responses;
    this.processor = processor;
    this.tracker = tracker;
  }

  @Override
  public void onNext(ProcessingRequest request) {
    if (finished.get()) {
      return;
    }
    if (log.isDebugEnabled()) {
      log.debug("stream={} received {}{}", id, request.getRequestCase(),
          request.hasProtocolConfig() ? " with protocol_config " + request.getProtocolConfig() : "");
    }
    if (request.hasProtocolConfig()) {
      ProtocolConfiguration config = request.getProtocolConfig();
      echoRequestBody = MessageProcessor.bodyComesBack(config.getRequestBodyModeValue());
      echoResponseBody = MessageProcessor.bodyComesBack(config.getResponseBodyModeValue());
    }
    ProcessingResponse response =
        processor.process(request, id, echoRequestBody, echoResponseBody);
    if (response == null) {
      if (finish()) {
        log.debug("stream={} message without a request kind, closing", id);
        responses.onError(Status.INVALID_ARGUMENT
            .withDescription("ProcessingRequest carries no request kind")
            .asRuntimeException());
      }
      return;
    }
    responses.onNext(response);
  }

  @Override
  public void onError(Throwable t) {
    if (finish() && log.isDebugEnabled()) {
      log.debug("stream={} ended by the client: {}", id, Status.fromThrowable(t));
    }
  }

  @Override
  public void onCompleted() {
    if (finish()) {
      responses.onCompleted();
    }
  }

  /** Envoy cancelled or reset the stream. */
  void cancelled() {
    if (finish() && log.isDebugEnabled()) {
      log.debug("stream={} cancelled", id);
    }
  }

  /** The call is over on the server side, however it ended. */
  void closed() {
    if (finish() && log.isDebugEnabled()) {
      log.debug("stream={} closed by the server", id);
    }
  }

  private boolean finish() {
    if (finished.compareAndSet(false, true)) {
      tracker.closed();
      return true;
    }
    return false;
  }
}
