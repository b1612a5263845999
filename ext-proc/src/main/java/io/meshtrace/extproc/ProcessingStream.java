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
 * cancels the stream or it is ended for sending nothing, and never writes after that.
 *
 * <p>Writes happen under the stream's lock: gRPC delivers messages on the transport thread, while
 * a silent stream is ended from the sweeper thread.
 */
final class ProcessingStream implements StreamObserver<ProcessingRequest> {

  private static final Logger log = LoggerFactory.getLogger(ProcessingStream.class);

  private final long id;
  private final ServerCallStreamObserver<ProcessingResponse> responses;
  private final MessageProcessor processor;
  private final StreamTracker tracker;
  private final AtomicBoolean finished = new AtomicBoolean();
  private final long openedAtNanos = System.nanoTime();
  private boolean firstMessageSeen;
  // Set from the first message's protocol_config; gRPC delivers one message at a time.
  private boolean echoRequestBody;
  private boolean echoResponseBody;

  ProcessingStream(long id, ServerCallStreamObserver<ProcessingResponse> responses,
      MessageProcessor processor, StreamTracker tracker) {
    this.id = id;
    this.responses = responses;
    this.processor = processor;
    this.tracker = tracker;
    tracker.awaitingFirstMessage(this);
  }

  long openedAtNanos() {
    return openedAtNanos;
  }

  @Override
  public synchronized void onNext(ProcessingRequest request) {
    if (finished.get()) {
      return;
    }
    if (!firstMessageSeen) {
      firstMessageSeen = true;
      tracker.firstMessageArrived(this);
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
    if (MessageProcessor.isNewerKind(request)) {
      if (log.isDebugEnabled()) {
        log.debug("stream={} ignored a message of a newer kind, fields {}", id,
            request.getUnknownFields().asMap().keySet());
      }
      return;
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
  public synchronized void onCompleted() {
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

  /**
   * Ends a stream that sent nothing within {@code limits.first-message-timeout}; false when it
   * had sent something or had already ended.
   */
  synchronized boolean expire() {
    // A message may have arrived after the sweeper picked this stream.
    if (firstMessageSeen || !finish()) {
      return false;
    }
    log.debug("stream={} sent no message in time, closing", id);
    responses.onError(Status.DEADLINE_EXCEEDED
        .withDescription("no ext_proc message within limits.first-message-timeout")
        .asRuntimeException());
    return true;
  }

  /** The call is over on the server side, however it ended. */
  void closed() {
    if (finish() && log.isDebugEnabled()) {
      log.debug("stream={} closed by the server", id);
    }
  }

  private boolean finish() {
    if (finished.compareAndSet(false, true)) {
      tracker.firstMessageArrived(this);
      tracker.closed();
      return true;
    }
    return false;
  }
}
