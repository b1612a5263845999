package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An ext_proc client speaking to the service as Envoy does: one bidi stream per HTTP request. */
final class RawExtProcClient {

  private final ExternalProcessorGrpc.ExternalProcessorStub stub;

  RawExtProcClient(ManagedChannel channel) {
    this.stub = ExternalProcessorGrpc.newStub(channel);
  }

  /** Sends {@code messages} one at a time, each waiting for its answer, then half-closes. */
  List<ProcessingResponse> exchange(ProcessingRequest... messages) throws Exception {
    Stream stream = open();
    List<ProcessingResponse> responses = new ArrayList<>();
    for (ProcessingRequest message : messages) {
      stream.send(message);
      responses.add(stream.next());
    }
    stream.halfClose();
    Status status = stream.closed().get(10, TimeUnit.SECONDS);
    if (!status.isOk()) {
      throw status.asException();
    }
    return responses;
  }

  ProcessingResponse requestHeaders(EnvoyHeaders headers) throws Exception {
    return exchange(headers.message()).get(0);
  }

  Stream open() {
    Stream stream = new Stream();
    stub.process(stream);
    return stream;
  }

  /** One open stream: send, read answers, half-close or cancel. */
  static final class Stream implements ClientResponseObserver<ProcessingRequest, ProcessingResponse> {
    private final LinkedBlockingQueue<ProcessingResponse> responses = new LinkedBlockingQueue<>();
    private final CompletableFuture<Status> closed = new CompletableFuture<>();
    private volatile ClientCallStreamObserver<ProcessingRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<ProcessingRequest> requestStream) {
      this.requests = requestStream;
    }

    @Override
    public void onNext(ProcessingResponse value) {
      responses.add(value);
    }

    @Override
    public void onError(Throwable t) {
      closed.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      closed.complete(Status.OK);
    }

    void send(ProcessingRequest message) {
      requests.onNext(message);
    }

    /**
     * The next response; a {@code StatusRuntimeException} with the stream's status when it
     * ended without one, an {@code AssertionError} when none came within 10 s.
     */
    ProcessingResponse next() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        boolean wasClosed = closed.isDone();
        ProcessingResponse response = responses.poll(10, TimeUnit.MILLISECONDS);
        if (response != null) {
          return response;
        }
        if (wasClosed) {
          Status status = closed.join();
          throw (status.isOk() ? Status.INTERNAL.withDescription("stream ended without answer")
              : status).asRuntimeException();
        }
      }
      throw new AssertionError("no ext_proc response within 10 s; stream status "
          + (closed.isDone() ? closed.join() : "open"));
    }

    void halfClose() {
      requests.onCompleted();
    }

    void cancel() {
      requests.cancel("client cancelled", null);
    }

    CompletableFuture<Status> closed() {
      return closed;
    }
  }
}
