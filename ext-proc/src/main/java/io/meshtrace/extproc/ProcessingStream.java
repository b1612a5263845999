package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc stream (one HTTP request at the gateway). Answers each message through the
 * {@link MessageProcessor}; releases its slot exactly once, whether Envoy ends, resets or
 * cancels the stream or the service ends it for going quiet, and never writes after that.
 *
 * <p>Flow control: the stream reads one message at a time and asks for the next only once the
 * answer to the last one has gone out (the call's ready threshold is one byte, so "ready" means
 * "nothing queued"). A peer that stops reading its responses therefore holds at most one of them
 * per stream, and its further messages wait in HTTP/2 flow control, on its side. The bytes of
 * that one response count against the connection's {@link SendBudget} until the transport has
 * sent them or the stream is gone.
 *
 * <p>Messages, readiness and closing arrive on the call's serialized executor (the transport
 * thread); a quiet stream is ended from the sweeper thread, so state that both touch is read
 * under the stream's lock or is atomic.
 */
final class ProcessingStream implements StreamObserver<ProcessingRequest> {

  private static final Logger log = LoggerFactory.getLogger(ProcessingStream.class);
  private static final VarHandle UNSENT;

  static {
    try {
      UNSENT = MethodHandles.lookup().findVarHandle(ProcessingStream.class, "unsentBytes", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** What {@link #endIfQuiet} did. */
  enum Quiet { NO, FIRST_MESSAGE_TIMEOUT, IDLE_TIMEOUT }

  private final long id;
  private final ServerCallStreamObserver<ProcessingResponse> responses;
  private final MessageProcessor processor;
  private final StreamTracker tracker;
  private final SendBudget budget;
  private final ExtProcMetrics metrics;
  private final StreamState state = new StreamState();
  private final AtomicBoolean finished = new AtomicBoolean();
  private final long openedAtNanos = System.nanoTime();
  private volatile boolean firstMessageSeen;
  private volatile long lastMessageNanos;
  /** Bytes of written responses not yet sent by the transport; updated through {@link #UNSENT}. */
  @SuppressWarnings("unused")
  private volatile long unsentBytes;
  /** The next message is asked for when the stream turns ready; guarded by this. */
  private boolean awaitingReady;

  ProcessingStream(long id, ServerCallStreamObserver<ProcessingResponse> responses,
      MessageProcessor processor, StreamTracker tracker, SendBudget budget, ExtProcMetrics metrics) {
    this.id = id;
    this.responses = responses;
    this.processor = processor;
    this.tracker = tracker;
    this.budget = budget;
    this.metrics = metrics;
    tracker.opened(this);
  }

  @Override
  public synchronized void onNext(ProcessingRequest request) {
    if (finished.get()) {
      return;
    }
    long now = System.nanoTime();
    lastMessageNanos = now;
    state.receivedNanos = now;
    firstMessageSeen = true;
    if (log.isDebugEnabled()) {
      log.debug("stream={} received {}{}", id, request.getRequestCase(),
          request.hasProtocolConfig() ? " with protocol_config " + request.getProtocolConfig() : "");
    }
    if (MessageProcessor.isNewerKind(request)) {
      if (log.isDebugEnabled()) {
        log.debug("stream={} ignored a message of a newer kind, fields {}", id,
            request.getUnknownFields().asMap().keySet());
      }
      responses.request(1);
      return;
    }
    ProcessingResponse response = processor.process(request, id, state);
    if (response == null) {
      if (finish()) {
        log.debug("stream={} message without a request kind, closing", id);
        responses.onError(Status.INVALID_ARGUMENT
            .withDescription("ProcessingRequest carries no request kind")
            .asRuntimeException());
      }
      return;
    }
    int size = response.getSerializedSize();
    if (!budget.tryReserve(size)) {
      if (finish()) {
        metrics.streamUnread();
        if (log.isDebugEnabled()) {
          log.debug("stream={} connection has {} unsent response bytes, {} more would pass "
              + "limits.max-unsent-bytes-per-connection; closing", id, budget.unsentBytes(), size);
        }
        responses.onError(Status.RESOURCE_EXHAUSTED
            .withDescription("the connection's peer is not reading its responses "
                + "(limits.max-unsent-bytes-per-connection)")
            .asRuntimeException());
      }
      return;
    }
    UNSENT.getAndAdd(this, (long) size);
    responses.onNext(response);
    if (responses.isReady()) {
      releaseUnsent();
      responses.request(1);
    } else {
      awaitingReady = true;
    }
  }

  /** The transport sent everything written on this stream. */
  synchronized void ready() {
    releaseUnsent();
    if (awaitingReady && !finished.get()) {
      awaitingReady = false;
      responses.request(1);
    }
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

  /** Envoy cancelled or reset the stream: nothing written on it will be sent. */
  void cancelled() {
    releaseUnsent();
    if (finish() && log.isDebugEnabled()) {
      log.debug("stream={} cancelled", id);
    }
  }

  /** The call is over on the server side, however it ended; the transport is done with it. */
  void closed() {
    releaseUnsent();
    if (finish() && log.isDebugEnabled()) {
      log.debug("stream={} closed by the server", id);
    }
  }

  /**
   * Ends the stream when it sent no message within {@code firstMessageNanos} of opening
   * (DEADLINE_EXCEEDED: no Envoy does that) or nothing for {@code idleNanos} after a message
   * (OK, which Envoy reads as "no more processing": the rest of the request goes on unchanged).
   */
  Quiet endIfQuiet(long nowNanos, long firstMessageNanos, long idleNanos) {
    // Unlocked first look: most streams are not due, and the sweeper visits every one.
    if (!quietFor(nowNanos, firstMessageNanos, idleNanos)) {
      return Quiet.NO;
    }
    synchronized (this) {
      // A message may have arrived since the first look.
      if (!quietFor(nowNanos, firstMessageNanos, idleNanos) || !finish()) {
        return Quiet.NO;
      }
      if (!firstMessageSeen) {
        log.debug("stream={} sent no message in time, closing", id);
        responses.onError(Status.DEADLINE_EXCEEDED
            .withDescription("no ext_proc message within limits.first-message-timeout")
            .asRuntimeException());
        return Quiet.FIRST_MESSAGE_TIMEOUT;
      }
      log.debug("stream={} quiet for limits.stream-idle-timeout, closing", id);
      responses.onCompleted();
      return Quiet.IDLE_TIMEOUT;
    }
  }

  private boolean quietFor(long nowNanos, long firstMessageNanos, long idleNanos) {
    return firstMessageSeen
        ? nowNanos - lastMessageNanos > idleNanos
        : nowNanos - openedAtNanos > firstMessageNanos;
  }

  private void releaseUnsent() {
    long bytes = (long) UNSENT.getAndSet(this, 0L);
    if (bytes != 0) {
      budget.release(bytes);
    }
  }

  private boolean finish() {
    if (finished.compareAndSet(false, true)) {
      tracker.closed(this);
      return true;
    }
    return false;
  }
}
