package io.meshtrace.xds.server;

import io.meshtrace.xds.config.AdsLimits;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeGroups;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in front of java-control-plane on every discovery stream and decides what reaches it.
 *
 * <ul>
 *   <li><b>Admission.</b> The first request fixes the stream's node; a node over a size limit,
 *       or of a new group when {@link AdsLimits#maxUnconfiguredGroups} is reached, ends the
 *       stream with {@code RESOURCE_EXHAUSTED} naming the limit. Later requests are handed on
 *       with that node (Envoy with {@code set_node_on_first_message_only} sends none), so a
 *       stream cannot change group.
 *   <li><b>Types not served.</b> A request for any type but clusters, endpoints, listeners and
 *       routes (a typo, RTDS {@code envoy.service.runtime.v3.Runtime}, ECDS
 *       {@code envoy.config.core.v3.TypedExtensionConfig}, SDS) never reaches the cache: it gets
 *       an empty response, once per subscription (the first request, or one naming other
 *       resources), and its ACKs and NACKs are absorbed. An empty answer, as Istio's istiod gives
 *       types it has no generator for, and not an error status: on ADS a status ends the whole
 *       stream, listeners and clusters included, and Envoy would reconnect in a loop without
 *       ever being configured. Envoy ACKs it; a subscription that names a resource (an RTDS
 *       layer) keeps waiting for it up to its {@code initial_fetch_timeout}, as for any
 *       resource a server lacks. At most {@value #MAX_UNSERVED_TYPES} such type URLs per
 *       stream, each at most {@value #MAX_TYPE_URL_CHARS} characters.
 *   <li><b>Every stream leaves at once.</b> However a stream ends (client half-close, cancel, a
 *       refusal here, an exception thrown by the library) java-control-plane is told, so its
 *       watches are cancelled and {@link ProxyRegistry} forgets the stream, and the group lease
 *       is returned.
 * </ul>
 */
final class StreamGuard implements ServerInterceptor {

  static final int MAX_UNSERVED_TYPES = 8;
  static final int MAX_TYPE_URL_CHARS = 256;

  private static final Logger LOG = LoggerFactory.getLogger(StreamGuard.class);
  private static final NodeGroups GROUPS = new NodeGroups();
  private static final String REFUSED = "meshtrace_xds_streams_refused_total";
  private static final String UNSERVED = "meshtrace_xds_unserved_requests_total";

  private final AdsLimits limits;
  private final GroupLeases leases;
  private final Metrics metrics;
  private final BoundedLog refusals = new BoundedLog(LOG, 20, 60);

  StreamGuard(AdsLimits limits, GroupLeases leases, Metrics metrics) {
    this.limits = limits;
    this.leases = leases;
    this.metrics = metrics;
    metrics.describe(REFUSED, "Discovery streams ended by the server, by reason");
    metrics.describe(UNSERVED, "Requests for resource types this server does not serve");
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    boolean ads = AggregatedDiscoveryServiceGrpc.SERVICE_NAME.equals(
        call.getMethodDescriptor().getServiceName());
    AdsStream stream = new AdsStream(call.getMethodDescriptor().getBareMethodName()
        .startsWith("Delta"));
    GuardedCall<Q, R> guarded = new GuardedCall<>(call);
    ServerCall.Listener<Q> delegate = stream.call(() -> next.startCall(guarded, headers));
    return new Guard<>(delegate, guarded, stream, ads);
  }

  /** Why a stream was ended here: a counted reason and the status the client gets. */
  private record Refusal(String reason, Status status) {}

  /** The per-call listener; gRPC calls it from one thread at a time. */
  private final class Guard<Q, R> extends ServerCall.Listener<Q> {
    private final ServerCall.Listener<Q> delegate;
    private final GuardedCall<Q, R> call;
    private final AdsStream stream;
    private final boolean ads;
    private boolean ended;
    private boolean leased;
    private long unservedNonce;
    /** The node of the first request while it is being admitted, for the refusal's log line. */
    private Node arriving;

    Guard(ServerCall.Listener<Q> delegate, GuardedCall<Q, R> call, AdsStream stream,
        boolean ads) {
      this.delegate = delegate;
      this.call = call;
      this.stream = stream;
      this.ads = ads;
    }

    @Override
    public void onMessage(Q message) {
      if (ended) {
        return;
      }
      Object forward;
      try {
        forward = admit(message);
      } catch (Refused r) {
        refuse(r.refusal);
        return;
      } catch (RuntimeException e) {
        failed(e);
        return;
      }
      if (forward == null) {
        call.request(1);
        return;
      }
      @SuppressWarnings("unchecked")
      Q q = (Q) forward;
      try {
        stream.run(() -> delegate.onMessage(q));
      } catch (RuntimeException e) {
        failed(e);
      }
    }

    /** The message to hand on (with the stream's node), or null when it was answered here. */
    private Object admit(Q message) throws Refused {
      if (message instanceof DiscoveryRequest r) {
        Node node = admitNode(r.getTypeUrl(), r.hasNode() ? r.getNode() : null);
        if (unserved(r.getTypeUrl())) {
          if (stream.unservedRequest(r.getTypeUrl(), r.getResourceNamesList(),
              r.getResponseNonce().isEmpty())) {
            call.sendOwn(DiscoveryResponse.newBuilder().setTypeUrl(r.getTypeUrl())
                .setNonce(nextNonce()).build());
          }
          return null;
        }
        return r.hasNode() && r.getNode() == node ? r : r.toBuilder().setNode(node).build();
      }
      if (message instanceof DeltaDiscoveryRequest r) {
        Node node = admitNode(r.getTypeUrl(), r.hasNode() ? r.getNode() : null);
        if (unserved(r.getTypeUrl())) {
          // An ACK or NACK subscribes to nothing new; a request that does deserves an answer.
          if (stream.unservedRequest(r.getTypeUrl(), List.of(), r.getResponseNonce().isEmpty()
              || r.getResourceNamesSubscribeCount() > 0)) {
            call.sendOwn(DeltaDiscoveryResponse.newBuilder().setTypeUrl(r.getTypeUrl())
                .setNonce(nextNonce()).build());
          }
          return null;
        }
        return r.hasNode() && r.getNode() == node ? r : r.toBuilder().setNode(node).build();
      }
      return message;
    }

    private String nextNonce() {
      return "unserved-" + ++unservedNonce;
    }

    /** Checks the type URL, and the node on the first request; returns the stream's node. */
    private Node admitNode(String typeUrl, Node node) throws Refused {
      if (ads && typeUrl.isEmpty()) {
        throw refused("type_url", Status.INVALID_ARGUMENT,
            "type_url is required on an aggregated (ADS) stream");
      }
      if (typeUrl.length() > MAX_TYPE_URL_CHARS) {
        throw refused("type_url", Status.INVALID_ARGUMENT, "type_url is " + typeUrl.length()
            + " characters, more than " + MAX_TYPE_URL_CHARS);
      }
      Node fixed = stream.node();
      if (fixed != null) {
        return fixed;
      }
      Node n = node == null ? Node.getDefaultInstance() : node;
      arriving = n;
      if (n.getId().length() > limits.maxNodeIdLength()) {
        throw refused("node_id_length", Status.RESOURCE_EXHAUSTED, "node.id is "
            + n.getId().length() + " characters, over the limit of " + limits.maxNodeIdLength()
            + " (maxNodeIdLength)");
      }
      if (n.getCluster().length() > limits.maxNodeClusterLength()) {
        throw refused("node_cluster_length", Status.RESOURCE_EXHAUSTED, "node.cluster is "
            + n.getCluster().length() + " characters, over the limit of "
            + limits.maxNodeClusterLength() + " (maxNodeClusterLength)");
      }
      if (n.getSerializedSize() > limits.maxNodeBytes()) {
        throw refused("node_size", Status.RESOURCE_EXHAUSTED, "node is "
            + n.getSerializedSize() + " bytes with its metadata, over the limit of "
            + limits.maxNodeBytes() + " (maxNodeBytes)");
      }
      GroupKey group = GROUPS.hash(n);
      if (!leases.acquire(group)) {
        throw refused("group_limit", Status.RESOURCE_EXHAUSTED, "snapshot group limit reached: "
            + limits.maxUnconfiguredGroups() + " groups of services not in the config are in"
            + " use (maxUnconfiguredGroups); group " + group + " refused");
      }
      leased = true;
      stream.assign(n, group);
      return n;
    }

    private boolean unserved(String typeUrl) throws Refused {
      if (typeUrl.isEmpty() || ProxyRegistry.typeName(typeUrl) != null) {
        return false;
      }
      metrics.increment(UNSERVED, "");
      if (!stream.unservedTypes().contains(typeUrl)
          && stream.unservedCount() >= MAX_UNSERVED_TYPES) {
        throw refused("unserved_types", Status.INVALID_ARGUMENT, "more than "
            + MAX_UNSERVED_TYPES + " resource types this server does not serve on one stream");
      }
      return true;
    }

    private Refused refused(String reason, Status code, String description) {
      return new Refused(new Refusal(reason, code.withDescription(description)));
    }

    private void failed(RuntimeException e) {
      refusals.warn("discovery stream of node {} ended: internal error", nodeId(), e);
      refuse(new Refusal("internal", Status.INTERNAL.withDescription(
          "internal error while handling the request")));
    }

    /** Ends the stream with a status, and lets java-control-plane clean up as for a cancel. */
    private void refuse(Refusal r) {
      ended = true;
      metrics.increment(REFUSED, Metrics.label("reason", r.reason()));
      if (!r.reason().equals("internal")) {
        refusals.warn("discovery stream of node {} refused: {} {}", nodeId(),
            r.status().getCode(), BoundedLog.clip(r.status().getDescription(),
                BoundedLog.TEXT_CHARS));
      }
      call.close(r.status(), new Metadata());
      try {
        stream.run(delegate::onCancel);
      } catch (RuntimeException e) {
        LOG.debug("cleanup after ending a stream failed", e);
      } finally {
        release();
      }
    }

    private String nodeId() {
      Node n = stream.node() != null ? stream.node() : arriving;
      return n == null ? "?" : BoundedLog.clip(n.getId(), BoundedLog.ID_CHARS);
    }

    @Override
    public void onHalfClose() {
      if (ended) {
        return;
      }
      try {
        stream.run(delegate::onHalfClose);
      } catch (RuntimeException e) {
        failed(e);
      }
    }

    @Override
    public void onCancel() {
      if (ended) {
        release();
        return;
      }
      ended = true;
      try {
        stream.run(delegate::onCancel);
      } finally {
        release();
      }
    }

    @Override
    public void onComplete() {
      try {
        if (!ended) {
          stream.run(delegate::onComplete);
        }
      } finally {
        release();
      }
    }

    @Override
    public void onReady() {
      if (!ended) {
        stream.run(delegate::onReady);
      }
    }

    private void release() {
      if (leased) {
        leased = false;
        leases.release(stream.group());
      }
    }
  }

  /** Carries a refusal out of the admission checks. */
  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Refusal refusal;

    Refused(Refusal refusal) {
      super(refusal.reason(), null, false, false);
      this.refusal = refusal;
    }
  }

  /**
   * The call as java-control-plane sees it: once the guard has ended it, whatever the library
   * still sends or closes is dropped. Sends are serialized here because the guard answers
   * unserved types on the same call.
   */
  private static final class GuardedCall<Q, R>
      extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private boolean closed;
    private boolean headersSent;

    GuardedCall(ServerCall<Q, R> call) {
      super(call);
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed && !headersSent) {
        headersSent = true;
        super.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(R message) {
      if (closed) {
        return;
      }
      if (!headersSent) {
        headersSent = true;
        super.sendHeaders(new Metadata());
      }
      super.sendMessage(message);
    }

    /** Sends a response the guard built itself (same message type as the call's). */
    @SuppressWarnings("unchecked")
    void sendOwn(Object message) {
      sendMessage((R) message);
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        super.close(status, trailers);
      }
    }
  }
}
