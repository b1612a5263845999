package io.meshtrace.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Plays the gateway Envoy's ext_proc filter: one bidi {@code Process} stream per HTTP request,
 * the request headers sent as {@code raw_value} bytes with {@code end_of_stream} (a GET), the
 * stream half-closed once the headers response is in, as Envoy does when processing mode asks
 * for nothing more. Callbacks run on the transport thread ({@code directExecutor()}).
 */
final class ExtProcClient implements AutoCloseable {

  /** What happens to one request. */
  interface Completion {
    /** The headers response arrived ({@code System.nanoTime()} at arrival). */
    void response(ProcessingResponse response, long nanoTime);

    /** The stream ended; {@code status} is OK unless it failed. */
    void closed(Status status);
  }

  private final ManagedChannel channel;

  ExtProcClient(int port) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
        .usePlaintext()
        .directExecutor()
        .build();
  }

  /** An Envoy-shaped {@code request_headers} message for the name, value pairs given. */
  static ProcessingRequest requestHeaders(String[] nameValue) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < nameValue.length; i += 2) {
      map.addHeaders(HeaderValue.newBuilder()
          .setKey(nameValue[i])
          .setRawValue(ByteString.copyFrom(nameValue[i + 1], StandardCharsets.ISO_8859_1)));
    }
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(true))
        .build();
  }

  /** Opens a stream, sends {@code request}, and reports to {@code completion}. */
  void send(ProcessingRequest request, Completion completion) {
    ClientCall<ProcessingRequest, ProcessingResponse> call =
        channel.newCall(ExternalProcessorGrpc.getProcessMethod(), CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(ProcessingResponse message) {
        completion.response(message, System.nanoTime());
        call.halfClose();
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        completion.closed(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(request);
  }

  /** One request, waited for: the headers response, or an exception when the stream failed. */
  static ProcessingResponse roundTrip(ExtProcClient client, ProcessingRequest request)
      throws InterruptedException {
    java.util.concurrent.CompletableFuture<ProcessingResponse> result =
        new java.util.concurrent.CompletableFuture<>();
    client.send(request, new Completion() {
      @Override
      public void response(ProcessingResponse response, long nanoTime) {
        result.complete(response);
      }

      @Override
      public void closed(Status status) {
        if (!status.isOk()) {
          result.completeExceptionally(status.asRuntimeException());
        }
      }
    });
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("ext_proc round trip failed", e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
