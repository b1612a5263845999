package io.meshtrace.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.NodeRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code n} simulated Envoy sidecars, each on its own connection with one SotW ADS stream, as
 * many Envoys would hold. Each subscribes to clusters, endpoints, listeners and routes
 * (wildcard: the whole snapshot of its group, what a sidecar ends up requesting), sends its node
 * on every request (Envoy's default), and ACKs every response at once. Node {@code i} belongs to
 * service {@code i % services}.
 *
 * <p>{@link #expect} names the versions every node must reach; {@link #await} returns when each
 * node has ACKed all of them.
 */
final class EnvoyFleet implements AutoCloseable {

  static final List<String> TYPE_URLS = List.of(Resources.V3.CLUSTER_TYPE_URL,
      Resources.V3.ENDPOINT_TYPE_URL, Resources.V3.LISTENER_TYPE_URL, Resources.V3.ROUTE_TYPE_URL);
  /** The names of {@link #TYPE_URLS} in {@code MeshSnapshots.Result.versions()}. */
  static final List<String> TYPE_NAMES = List.of("clusters", "endpoints", "listeners", "routes");

  private final List<SimulatedEnvoy> envoys = new ArrayList<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile CountDownLatch converged = new CountDownLatch(0);
  private int round;

  EnvoyFleet(int port, int n, int services) {
    for (int i = 0; i < n; i++) {
      String service = GeneratedMesh.serviceName(i % services);
      Node node = Node.newBuilder()
          .setId(String.format(Locale.ROOT, "sidecar~10.%d.%d.%d~%s-%d.default~default.svc.cluster.local",
              (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, service, i))
          .setCluster(service)
          .setMetadata(Struct.newBuilder()
              .putFields(NodeGroups.SERVICE_KEY, Value.newBuilder().setStringValue(service).build())
              .putFields(NodeRole.METADATA_KEY, Value.newBuilder().setStringValue("sidecar").build()))
          .build();
      envoys.add(new SimulatedEnvoy(port, node,
          new GroupKey(NodeRole.SIDECAR, service).toString()));
    }
  }

  /** Opens every stream and subscribes. */
  void connect() {
    for (SimulatedEnvoy envoy : envoys) {
      envoy.start();
    }
  }

  /** From now on, a node has converged when it has ACKed {@code versions.get(its group)}. */
  void expect(Map<String, Map<String, String>> versions) {
    CountDownLatch latch = new CountDownLatch(envoys.size());
    converged = latch;
    int current;
    synchronized (this) {
      current = ++round;
    }
    for (SimulatedEnvoy envoy : envoys) {
      Map<String, String> byType = versions.get(envoy.group);
      if (byType == null) {
        throw new IllegalArgumentException("no versions for group " + envoy.group);
      }
      String[] target = new String[TYPE_NAMES.size()];
      for (int t = 0; t < target.length; t++) {
        target[t] = byType.get(TYPE_NAMES.get(t));
      }
      envoy.expect(current, target, latch);
    }
  }

  /** Waits until every node has converged; false on timeout. */
  boolean await(long timeout, TimeUnit unit) throws InterruptedException {
    boolean done = converged.await(timeout, unit);
    Throwable t = failure.get();
    if (t != null) {
      throw new IllegalStateException("an ADS stream failed", t);
    }
    return done;
  }

  long pending() {
    return converged.getCount();
  }

  @Override
  public void close() throws InterruptedException {
    for (SimulatedEnvoy envoy : envoys) {
      envoy.channel.shutdownNow();
    }
    for (SimulatedEnvoy envoy : envoys) {
      envoy.channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** One Envoy's ADS stream. */
  final class SimulatedEnvoy implements StreamObserver<DiscoveryResponse> {
    final ManagedChannel channel;
    final Node node;
    final String group;
    private final String[] acked = new String[TYPE_URLS.size()];
    private StreamObserver<DiscoveryRequest> requests;
    private String[] target;
    private int targetRound;
    private int convergedRound;
    private CountDownLatch latch;

    SimulatedEnvoy(int port, Node node, String group) {
      this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
          .usePlaintext()
          .directExecutor()
          .build();
      this.node = node;
      this.group = group;
    }

    synchronized void start() {
      requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(this);
      for (String type : TYPE_URLS) {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).build());
      }
    }

    synchronized void expect(int round, String[] versions, CountDownLatch latch) {
      this.target = versions;
      this.targetRound = round;
      this.latch = latch;
      checkConverged();
    }

    @Override
    public synchronized void onNext(DiscoveryResponse response) {
      requests.onNext(DiscoveryRequest.newBuilder()
          .setNode(node)
          .setTypeUrl(response.getTypeUrl())
          .setVersionInfo(response.getVersionInfo())
          .setResponseNonce(response.getNonce())
          .build());
      int t = TYPE_URLS.indexOf(response.getTypeUrl());
      if (t >= 0) {
        acked[t] = response.getVersionInfo();
        checkConverged();
      }
    }

    private void checkConverged() {
      if (target == null || convergedRound == targetRound) {
        return;
      }
      for (int t = 0; t < target.length; t++) {
        if (!target[t].equals(acked[t])) {
          return;
        }
      }
      convergedRound = targetRound;
      latch.countDown();
    }

    @Override
    public void onError(Throwable t) {
      failure.compareAndSet(null, t);
    }

    @Override
    public void onCompleted() {
      failure.compareAndSet(null, new IllegalStateException("server ended the ADS stream"));
    }
  }
}
