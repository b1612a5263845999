package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;

/**
 * The baseline: an ext_proc service that answers every message with the empty response of the
 * matching kind and changes nothing. It costs only gRPC, so the gap to it is our own work.
 */
final class NoopExternalProcessor extends ExternalProcessorGrpc.ExternalProcessorImplBase {

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ProcessingRequest request) {
        ProcessingResponse response = MessageProcessor.EMPTY_REQUEST_HEADERS;
        switch (request.getRequestCase()) {
          case REQUEST_HEADERS:
            break;
          case RESPONSE_HEADERS:
            response = MessageProcessor.EMPTY_RESPONSE_HEADERS;
            break;
          case REQUEST_BODY:
            response = MessageProcessor.EMPTY_REQUEST_BODY;
            break;
          case RESPONSE_BODY:
            response = MessageProcessor.EMPTY_RESPONSE_BODY;
            break;
          case REQUEST_TRAILERS:
            response = MessageProcessor.EMPTY_REQUEST_TRAILERS;
            break;
          default:
            response = MessageProcessor.EMPTY_RESPONSE_TRAILERS;
        }
        responses.onNext(response);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }
}
