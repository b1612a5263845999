package io.meshtrace.sdk;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real OTLP/gRPC trace receiver on 127.0.0.1:0: grpc-java serving
 * {@code opentelemetry.proto.collector.trace.v1.TraceService/Export}, decoding requests with
 * the {@code opentelemetry-proto} messages and keeping each request with its metadata.
 */
public final class OtlpGrpcReceiver implements AutoCloseable {

  static final String SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";
  private static final Context.Key<Metadata> METADATA = Context.key("otlp-receiver-metadata");

  /** One export as received. */
  public record Received(ExportTraceServiceRequest request, Metadata metadata) {
    public String header(String name) {
      return metadata.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
    }
  }

  private final Server server;
  private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();

  public OtlpGrpcReceiver() throws IOException {
    MethodDescriptor<ExportTraceServiceRequest, ExportTraceServiceResponse> export =
        MethodDescriptor.<ExportTraceServiceRequest, ExportTraceServiceResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Export"))
            .setRequestMarshaller(ProtoUtils.marshaller(ExportTraceServiceRequest.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance()))
            .build();
    ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
        .addMethod(export, ServerCalls.asyncUnaryCall((request, response) -> {
          received.add(new Received(request, METADATA.get()));
          response.onNext(ExportTraceServiceResponse.getDefaultInstance());
          response.onCompleted();
        }))
        .build();
    ServerInterceptor headers = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata md, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(METADATA, md), call, md, next);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .directExecutor()
        .addService(ServerInterceptors.intercept(service, headers))
        .build()
        .start();
  }

  public int port() {
    return server.getPort();
  }

  /** The next export, waiting up to 10 s; fails the test when none arrives. */
  public Received take() throws InterruptedException {
    Received next = received.poll(10, TimeUnit.SECONDS);
    if (next == null) {
      throw new AssertionError("no OTLP gRPC export arrived at 127.0.0.1:" + port());
    }
    return next;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
