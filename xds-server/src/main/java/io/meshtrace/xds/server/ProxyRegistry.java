package io.meshtrace.xds.server;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.NodeRole;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every ADS stream through java-control-plane's callbacks: which node it is (the node
 * arrives on the first request only when Envoy sets {@code set_node_on_first_message_only}),
 * its group, the version sent and acknowledged per resource type, and NACKs.
 *
 * <p>A NACK is a request whose {@code error_detail} is set; it is logged once per stream, type
 * and rejected version, and counted in {@code meshtrace_xds_nacks_total}.
 */
public final class ProxyRegistry implements DiscoveryServerCallbacks {

  private static final Logger LOG = LoggerFactory.getLogger(ProxyRegistry.class);
  private static final NodeGroups GROUPS = new NodeGroups();
  private static final int NONCES_KEPT = 16;

  /** The stream whose request is being handled on this thread (set before the cache runs). */
  private static final ThreadLocal<Long> CURRENT = new ThreadLocal<>();

  private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
  private final Metrics metrics;

  /** A NACK as shown by {@code /proxies}. */
  public record Nack(String type, String version, String nonce, String message, Instant at) {}

  /** Per stream and resource type. */
  static final class TypeState {
    volatile String sent = "";
    volatile String acked = "";
    volatile String sentNonce = "";
    volatile String lastNackedVersion;
    volatile long nacks;
    private final Map<String, String> nonceVersions = new LinkedHashMap<>() {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
        return size() > NONCES_KEPT;
      }
    };

    private final Map<String, Map<String, String>> nonceResources = new LinkedHashMap<>() {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Map<String, String>> eldest) {
        return size() > NONCES_KEPT;
      }
    };

    synchronized void sentResources(String nonce, Map<String, String> resources) {
      nonceResources.put(nonce, resources);
    }

    synchronized Map<String, String> resourcesOf(String nonce) {
      return nonceResources.get(nonce);
    }

    synchronized void sent(String nonce, String version) {
      nonceVersions.put(nonce, version);
      sent = version;
      sentNonce = nonce;
    }

    synchronized String versionOf(String nonce) {
      return nonceVersions.get(nonce);
    }
  }

  /** One ADS stream. */
  static final class Stream {
    final long id;
    final Instant opened = Instant.now();
    volatile Node node;
    volatile String group = "";
    volatile boolean delta;
    volatile Nack lastNack;
    final Map<String, TypeState> types = new ConcurrentHashMap<>();

    Stream(long id) {
      this.id = id;
    }

    TypeState type(String t) {
      return types.computeIfAbsent(t, k -> new TypeState());
    }
  }

  /** Creates a registry that counts into {@code metrics}. */
  public ProxyRegistry(Metrics metrics) {
    this.metrics = metrics;
    metrics.describe("meshtrace_xds_nacks_total", "Requests with error_detail (NACKs) by type");
    metrics.describe("meshtrace_xds_responses_total", "Discovery responses sent by type");
    metrics.describe("meshtrace_xds_acks_total", "Responses acknowledged by type");
    metrics.gauge("meshtrace_xds_streams", "Open ADS streams", () -> streams.size());
  }

  /** Short name of a type URL: {@code listeners}, {@code clusters}, ... */
  static String typeName(String typeUrl) {
    switch (typeUrl) {
      case Resources.V3.CLUSTER_TYPE_URL:
        return "clusters";
      case Resources.V3.ENDPOINT_TYPE_URL:
        return "endpoints";
      case Resources.V3.LISTENER_TYPE_URL:
        return "listeners";
      case Resources.V3.ROUTE_TYPE_URL:
        return "routes";
      case Resources.V3.SECRET_TYPE_URL:
        return "secrets";
      default:
        return typeUrl;
    }
  }

  /** The stream being served on the calling thread, or null. */
  static Long currentStream() {
    return CURRENT.get();
  }

  /** The node of a stream (from its first request), or null. */
  Node node(long streamId) {
    Stream s = streams.get(streamId);
    return s == null ? null : s.node;
  }

  /** The version a stream was sent in the response with this nonce, or null. */
  String versionSent(long streamId, String typeUrl, String nonce) {
    Stream s = streams.get(streamId);
    return s == null ? null : s.type(typeName(typeUrl)).versionOf(nonce);
  }

  /** Resource name to version of the delta response with this nonce, or null. */
  Map<String, String> deltaResourcesSent(long streamId, String typeUrl, String nonce) {
    Stream s = streams.get(streamId);
    return s == null ? null : s.type(typeName(typeUrl)).resourcesOf(nonce);
  }

  /** Groups of all connected nodes. */
  java.util.Set<String> connectedGroups() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    streams.values().forEach(s -> {
      if (!s.group.isEmpty()) {
        out.add(s.group);
      }
    });
    return out;
  }

  @Override
  public void onStreamOpen(long streamId, String typeUrl) {
    streams.put(streamId, new Stream(streamId));
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    closed(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    closed(streamId);
  }

  private void closed(long streamId) {
    Stream s = streams.remove(streamId);
    if (s != null && LOG.isDebugEnabled()) {
      LOG.debug("[{}] stream of {} closed", streamId, s.node == null ? "?" : s.node.getId());
    }
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    CURRENT.set(streamId);
    Stream s = stream(streamId, request.hasNode() ? request.getNode() : null, false);
    String type = typeName(request.getTypeUrl());
    TypeState t = s.type(type);
    String nonce = request.getResponseNonce();
    if (request.hasErrorDetail()) {
      String rejected = t.versionOf(nonce);
      nack(s, t, type, rejected == null ? "?" : rejected, nonce,
          request.getErrorDetail().getMessage());
    } else if (!nonce.isEmpty() && nonce.equals(t.sentNonce)) {
      acked(t, type, request.getVersionInfo());
    }
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    CURRENT.set(streamId);
    Stream s = stream(streamId, request.hasNode() ? request.getNode() : null, true);
    String type = typeName(request.getTypeUrl());
    TypeState t = s.type(type);
    String nonce = request.getResponseNonce();
    if (nonce.isEmpty()) {
      return;
    }
    String version = t.versionOf(nonce);
    if (request.hasErrorDetail()) {
      nack(s, t, type, version == null ? "?" : version, nonce,
          request.getErrorDetail().getMessage());
    } else if (version != null && nonce.equals(t.sentNonce)) {
      acked(t, type, version);
    }
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request,
      DiscoveryResponse response) {
    sent(streamId, response.getTypeUrl(), response.getNonce(), response.getVersionInfo());
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request,
      DeltaDiscoveryResponse response) {
    Stream s = streams.get(streamId);
    if (s != null) {
      Map<String, String> resources = new LinkedHashMap<>();
      response.getResourcesList().forEach(r -> resources.put(r.getName(), r.getVersion()));
      s.type(typeName(response.getTypeUrl())).sentResources(response.getNonce(), resources);
    }
    sent(streamId, response.getTypeUrl(), response.getNonce(),
        response.getSystemVersionInfo());
  }

  private void sent(long streamId, String typeUrl, String nonce, String version) {
    Stream s = streams.get(streamId);
    if (s == null) {
      return;
    }
    String type = typeName(typeUrl);
    s.type(type).sent(nonce, version);
    metrics.increment("meshtrace_xds_responses_total", Metrics.label("type", type));
  }

  private Stream stream(long streamId, Node node, boolean delta) {
    Stream s = streams.computeIfAbsent(streamId, Stream::new);
    s.delta = delta;
    if (node != null && s.node == null) {
      s.node = node;
      s.group = GROUPS.hash(node);
      LOG.info("[{}] node {} connected ({}, group {})", streamId, node.getId(),
          delta ? "delta" : "sotw", s.group);
    }
    return s;
  }

  private void acked(TypeState t, String type, String version) {
    if (!version.equals(t.acked)) {
      t.acked = version;
      metrics.increment("meshtrace_xds_acks_total", Metrics.label("type", type));
    }
  }

  private void nack(Stream s, TypeState t, String type, String version, String nonce,
      String message) {
    t.nacks++;
    s.lastNack = new Nack(type, version, nonce, message, Instant.now());
    metrics.increment("meshtrace_xds_nacks_total", Metrics.label("type", type));
    if (!version.equals(t.lastNackedVersion)) {
      t.lastNackedVersion = version;
      LOG.warn("[{}] node {} rejected {} version {}: {}", s.id,
          s.node == null ? "?" : s.node.getId(), type, version, message);
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("[{}] {} version {} rejected again", s.id, type, version);
    }
  }

  /** One entry per connected stream, as shown by {@code GET /proxies}. */
  public List<Map<String, Object>> proxies() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Stream s : new TreeMap<>(streams).values()) {
      Map<String, Object> p = new LinkedHashMap<>();
      Node n = s.node;
      p.put("stream", s.id);
      p.put("node", n == null ? "" : n.getId());
      p.put("cluster", n == null ? "" : n.getCluster());
      p.put("role", n == null ? "" : NodeRole.of(n).key());
      p.put("group", s.group);
      p.put("protocol", s.delta ? "delta" : "sotw");
      p.put("connected", s.opened.toString());
      Map<String, Object> types = new TreeMap<>();
      for (Map.Entry<String, TypeState> e : s.types.entrySet()) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("sent", e.getValue().sent);
        t.put("acked", e.getValue().acked);
        t.put("synced", !e.getValue().sent.isEmpty()
            && e.getValue().sent.equals(e.getValue().acked));
        t.put("nacks", e.getValue().nacks);
        types.put(e.getKey(), t);
      }
      p.put("types", types);
      Nack nack = s.lastNack;
      if (nack != null) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", nack.type());
        m.put("version", nack.version());
        m.put("message", nack.message());
        m.put("at", nack.at().toString());
        p.put("lastNack", m);
      }
      out.add(p);
    }
    return out;
  }
}
