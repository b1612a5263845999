package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * {@code envoy.service.ext_proc.v3.ExternalProcessor/Process}: opens a {@link ProcessingStream}
 * per call, or refuses it with RESOURCE_EXHAUSTED at the concurrency limit (UNAVAILABLE while
 * draining), which {@code failure_mode_allow: true} turns into an untouched request. Calls come
 * through {@link SendBudgets}, which gives each stream its connection's send budget.
 */
final class ExternalProcessorService extends ExternalProcessorGrpc.ExternalProcessorImplBase {

  private static final StreamObserver<ProcessingRequest> REFUSED = new StreamObserver<>() {
    @Override
    public void onNext(ProcessingRequest value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  };

  private final MessageProcessor processor;
  private final StreamTracker tracker;
  private final ExtProcMetrics metrics;
  private final SendBudgets budgets;

  ExternalProcessorService(MessageProcessor processor, StreamTracker tracker,
      ExtProcMetrics metrics, SendBudgets budgets) {
    this.processor = processor;
    this.tracker = tracker;
    this.metrics = metrics;
    this.budgets = budgets;
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> observer) {
    ServerCallStreamObserver<ProcessingResponse> responses =
        (ServerCallStreamObserver<ProcessingResponse>) observer;
    long id = tracker.tryOpen();
    if (id < 0) {
      metrics.streamRefused();
      Status status = tracker.draining()
          ? Status.UNAVAILABLE.withDescription("ext-proc is shutting down")
          : Status.RESOURCE_EXHAUSTED.withDescription("ext-proc stream limit reached");
      responses.onError(status.asRuntimeException());
      return REFUSED;
    }
    metrics.streamOpened();
    ProcessingStream stream =
        new ProcessingStream(id, responses, processor, tracker, budgets.current(), metrics);
    responses.setOnCancelHandler(stream::cancelled);
    // Also closes slots of calls gRPC itself ends, e.g. on a message that does not parse.
    responses.setOnCloseHandler(stream::closed);
    // One message at a time, the next once the last answer has gone out (see ProcessingStream).
    responses.disableAutoRequest();
    responses.setOnReadyThreshold(1);
    responses.setOnReadyHandler(stream::ready);
    responses.request(1);
    return stream;
  }
}
