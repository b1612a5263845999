package io.meshtrace.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Status;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw ADS client over a real channel: SotW or delta, sends the node on its first message only
 * (like Envoy with {@code set_node_on_first_message_only}), queues responses per type.
 */
final class AdsTestClient implements AutoCloseable {

  static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  static final String RDS = Resources.V3.ROUTE_TYPE_URL;

  private final ManagedChannel channel;
  private final Node node;
  private final boolean delta;
  private final StreamObserver<DiscoveryRequest> sotw;
  private final StreamObserver<DeltaDiscoveryRequest> deltaStream;
  private final Map<String, BlockingQueue<DiscoveryResponse>> sotwResponses =
      new ConcurrentHashMap<>();
  private final Map<String, BlockingQueue<DeltaDiscoveryResponse>> deltaResponses =
      new ConcurrentHashMap<>();
  private final List<Throwable> errors = new ArrayList<>();
  private boolean nodeSent;

  AdsTestClient(ManagedChannel channel, Node node, boolean delta) {
    this.channel = channel;
    this.node = node;
    this.delta = delta;
    AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub =
        AggregatedDiscoveryServiceGrpc.newStub(channel);
    if (delta) {
      sotw = null;
      deltaStream = stub.deltaAggregatedResources(
          recording((DeltaDiscoveryResponse r) -> deltaQueue(r.getTypeUrl()).add(r)));
    } else {
      deltaStream = null;
      sotw = stub.streamAggregatedResources(
          recording((DiscoveryResponse r) -> sotwQueue(r.getTypeUrl()).add(r)));
    }
  }

  /** Hands each response to {@code sink} and records stream errors. */
  private <T> StreamObserver<T> recording(java.util.function.Consumer<T> sink) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T response) {
        sink.accept(response);
      }

      @Override
      public void onError(Throwable t) {
        synchronized (errors) {
          errors.add(t);
        }
      }

      @Override
      public void onCompleted() {}
    };
  }

  boolean delta() {
    return delta;
  }

  private BlockingQueue<DiscoveryResponse> sotwQueue(String type) {
    return sotwResponses.computeIfAbsent(type, k -> new LinkedBlockingQueue<>());
  }

  private BlockingQueue<DeltaDiscoveryResponse> deltaQueue(String type) {
    return deltaResponses.computeIfAbsent(type, k -> new LinkedBlockingQueue<>());
  }

  private synchronized Node nodeOnce() {
    if (nodeSent) {
      return null;
    }
    nodeSent = true;
    return node;
  }

  // ------------------------------------------------------------------ SotW

  synchronized void request(String type, List<String> names, String version, String nonce,
      Status error) {
    DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder().setTypeUrl(type)
        .addAllResourceNames(names).setVersionInfo(version).setResponseNonce(nonce);
    Node n = nodeOnce();
    if (n != null) {
      b.setNode(n);
    }
    if (error != null) {
      b.setErrorDetail(error);
    }
    sotw.onNext(b.build());
  }

  DiscoveryResponse next(String type, long timeoutMs) throws InterruptedException {
    DiscoveryResponse r = sotwQueue(type).poll(timeoutMs, TimeUnit.MILLISECONDS);
    assertThat(r).as("response of type %s within %d ms (errors %s)", type, timeoutMs, errors)
        .isNotNull();
    return r;
  }

  DiscoveryResponse poll(String type, long timeoutMs) throws InterruptedException {
    return sotwQueue(type).poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  void ack(DiscoveryResponse r, List<String> names) {
    request(r.getTypeUrl(), names, r.getVersionInfo(), r.getNonce(), null);
  }

  /** A NACK carries the last accepted version, here none. */
  void nack(DiscoveryResponse r, List<String> names, String acceptedVersion, String message) {
    request(r.getTypeUrl(), names, acceptedVersion, r.getNonce(),
        Status.newBuilder().setCode(3).setMessage(message).build());
  }

  // ----------------------------------------------------------------- delta

  synchronized void deltaRequest(String type, List<String> subscribe, String nonce,
      Status error) {
    DeltaDiscoveryRequest.Builder b = DeltaDiscoveryRequest.newBuilder().setTypeUrl(type)
        .addAllResourceNamesSubscribe(subscribe).setResponseNonce(nonce);
    Node n = nodeOnce();
    if (n != null) {
      b.setNode(n);
    }
    if (error != null) {
      b.setErrorDetail(error);
    }
    deltaStream.onNext(b.build());
  }

  DeltaDiscoveryResponse nextDelta(String type, long timeoutMs) throws InterruptedException {
    DeltaDiscoveryResponse r = deltaQueue(type).poll(timeoutMs, TimeUnit.MILLISECONDS);
    assertThat(r).as("delta response of type %s within %d ms (errors %s)", type, timeoutMs,
        errors).isNotNull();
    return r;
  }

  DeltaDiscoveryResponse pollDelta(String type, long timeoutMs) throws InterruptedException {
    return deltaQueue(type).poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  void ackDelta(DeltaDiscoveryResponse r) {
    deltaRequest(r.getTypeUrl(), List.of(), r.getNonce(), null);
  }

  void nackDelta(DeltaDiscoveryResponse r, String message) {
    deltaRequest(r.getTypeUrl(), List.of(), r.getNonce(),
        Status.newBuilder().setCode(3).setMessage(message).build());
  }

  // ---------------------------------------------------------------- common

  static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /** The first error that ended the stream, waiting up to {@code timeoutMs}; null if none. */
  Throwable awaitError(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      synchronized (errors) {
        if (!errors.isEmpty()) {
          return errors.get(0);
        }
      }
      Thread.sleep(10);
    }
    return null;
  }

  /** Ends the stream the rude way: the connection goes, no half-close. */
  void cancel() {
    channel.shutdownNow();
  }

  /** Half-closes the stream and leaves the channel open (for clients that share one). */
  void endStream() {
    try {
      if (sotw != null) {
        sotw.onCompleted();
      } else {
        deltaStream.onCompleted();
      }
    } catch (IllegalStateException alreadyEnded) {
      // cancelled, or ended by the server
    }
  }

  @Override
  public void close() {
    endStream();
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
