package io.meshtrace.xds.server;

import io.meshtrace.xds.config.AdsLimits;
import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshtrace.xds.config.Redaction;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.NodeRole;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every ADS stream through java-control-plane's callbacks: which node it is, its group,
 * the version sent and acknowledged per resource type, and NACKs.
 *
 * <p>A NACK is a request whose {@code error_detail} is set. Every NACK is counted in
 * {@code meshtrace_xds_nacks_total}; it is logged once per node, type and rejected version
 * whatever its nonce (a NACK naming a nonce we never sent is logged as version {@code ?}), with
 * the node id and message clipped, and at most a line a second in a flood.
 */
public final class ProxyRegistry implements DiscoveryServerCallbacks {

  private static final Logger LOG = LoggerFactory.getLogger(ProxyRegistry.class);
  private static final NodeGroups GROUPS = new NodeGroups();
  /** Characters of a NACK message kept for {@code /proxies}. */
  private static final int NACK_MESSAGE_CHARS = 1024;
  /** (node, type, version) triples whose NACK was logged, oldest forgotten first. */
  private static final int NACKS_REMEMBERED = 4096;

  private static final Map<String, String> SERVED = Map.of(
      Resources.V3.CLUSTER_TYPE_URL, "clusters",
      Resources.V3.ENDPOINT_TYPE_URL, "endpoints",
      Resources.V3.LISTENER_TYPE_URL, "listeners",
      Resources.V3.ROUTE_TYPE_URL, "routes");

  private final Map<Long, AdsStream> streams = new ConcurrentHashMap<>();
  private final Metrics metrics;
  private final BoundedLog connects = new BoundedLog(LOG, 50, 60);
  private final BoundedLog nackLog = new BoundedLog(LOG, 50, 60);
  private final Set<String> nacksLogged = Collections.newSetFromMap(
      new LinkedHashMap<String, Boolean>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > NACKS_REMEMBERED;
        }
      });

  /** The served config's secret values, scrubbed from NACK messages (Envoy quotes config). */
  private volatile Redaction redaction = Redaction.NONE;

  /** A NACK as shown by {@code /proxies}; the message is clipped. */
  public record Nack(String type, String version, String nonce, String message, Instant at) {}

  /** Creates a registry that counts into {@code metrics}. */
  public ProxyRegistry(Metrics metrics) {
    this.metrics = metrics;
    metrics.describe("meshtrace_xds_nacks_total", "Requests with error_detail (NACKs) by type");
    metrics.describe("meshtrace_xds_responses_total", "Discovery responses sent by type");
    metrics.describe("meshtrace_xds_acks_total", "Responses acknowledged by type");
    metrics.gauge("meshtrace_xds_streams", "Open ADS streams", () -> streams.size());
  }

  /**
   * Short name of a type this control plane serves ({@code clusters}, {@code endpoints},
   * {@code listeners}, {@code routes}), or null for any other type URL.
   */
  static String typeName(String typeUrl) {
    return SERVED.get(typeUrl);
  }

  /** Number of open streams. */
  int size() {
    return streams.size();
  }

  @Override
  public void onStreamOpen(long streamId, String typeUrl) {
    AdsStream s = AdsStream.current();
    if (s == null || s.id != -1) {
      s = new AdsStream(false);
    }
    s.id = streamId;
    streams.put(streamId, s);
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
    AdsStream s = streams.remove(streamId);
    if (s != null && LOG.isDebugEnabled()) {
      LOG.debug("[{}] stream of {} closed", streamId, nodeId(s));
    }
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    AdsStream s = stream(streamId, request.hasNode() ? request.getNode() : null);
    String type = typeName(request.getTypeUrl());
    if (s == null || type == null) {
      return;
    }
    AdsStream.TypeState t = s.type(type);
    String nonce = request.getResponseNonce();
    if (request.hasErrorDetail()) {
      t.rejectSotw(nonce);
      AdsStream.Sent sent = t.sentWith(nonce);
      nack(s, t, type, sent == null ? "?" : sent.version(), nonce,
          request.getErrorDetail().getMessage());
    } else if (!nonce.isEmpty() && nonce.equals(t.sentNonce)) {
      acked(t, type, request.getVersionInfo());
    }
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    AdsStream s = stream(streamId, request.hasNode() ? request.getNode() : null);
    String type = typeName(request.getTypeUrl());
    String nonce = request.getResponseNonce();
    if (s != null) {
      s.delta = true;
    }
    if (s == null || type == null || nonce.isEmpty()) {
      return;
    }
    AdsStream.TypeState t = s.type(type);
    AdsStream.Sent sent = t.sentWith(nonce);
    if (request.hasErrorDetail()) {
      t.rejectDelta(nonce);
      nack(s, t, type, sent == null ? "?" : sent.version(), nonce,
          request.getErrorDetail().getMessage());
    } else if (sent != null && nonce.equals(t.sentNonce)) {
      acked(t, type, sent.version());
    }
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request,
      DiscoveryResponse response) {
    AdsStream s = streams.get(streamId);
    String type = typeName(response.getTypeUrl());
    if (s == null || type == null) {
      return;
    }
    AdsStream.TypeState t = s.type(type);
    t.sent(response.getNonce(), response.getVersionInfo(), request.getResourceNamesList());
    t.lastResponse = response;
    metrics.increment("meshtrace_xds_responses_total", Metrics.label("type", type));
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request,
      DeltaDiscoveryResponse response) {
    AdsStream s = streams.get(streamId);
    String type = typeName(response.getTypeUrl());
    if (s == null || type == null) {
      return;
    }
    Map<String, String> resources = new LinkedHashMap<>();
    response.getResourcesList().forEach(r -> resources.put(r.getName(), r.getVersion()));
    AdsStream.TypeState t = s.type(type);
    t.sentDelta(response.getNonce(), response.getSystemVersionInfo(), resources,
        response.getRemovedResourcesList());
    t.keepDelta(response.getResourcesList(), response.getRemovedResourcesList());
    metrics.increment("meshtrace_xds_responses_total", Metrics.label("type", type));
  }

  /**
   * The stream, with its node and group taken from the first request when the guard did not fix
   * them (a discovery server built without it).
   */
  private AdsStream stream(long streamId, Node node) {
    AdsStream s = streams.get(streamId);
    if (s == null) {
      return null;
    }
    if (s.node() == null && node != null) {
      s.assign(node, GROUPS.hash(node));
    }
    if (!s.announced && s.node() != null) {
      s.announced = true;
      connects.info("[{}] node {} connected ({}, group {})", streamId, nodeId(s),
          s.delta ? "delta" : "sotw", BoundedLog.clip(String.valueOf(s.group()),
              BoundedLog.ID_CHARS));
    }
    return s;
  }

  private static String nodeId(AdsStream s) {
    Node n = s.node();
    return n == null ? "?" : BoundedLog.clip(n.getId(), BoundedLog.ID_CHARS);
  }

  private void acked(AdsStream.TypeState t, String type, String version) {
    if (!version.equals(t.acked)) {
      t.acked = version;
      metrics.increment("meshtrace_xds_acks_total", Metrics.label("type", type));
    }
  }

  /** Scrubs the secret values of the config now served from what NACKs are shown and logged. */
  public void redact(Redaction secrets) {
    this.redaction = secrets;
  }

  private void nack(AdsStream s, AdsStream.TypeState t, String type, String version,
      String nonce, String raw) {
    String message = redaction.scrub(raw);
    t.nacks++;
    s.lastNack = new Nack(type, version, BoundedLog.clip(nonce, BoundedLog.ID_CHARS),
        BoundedLog.clip(message, NACK_MESSAGE_CHARS), Instant.now());
    metrics.increment("meshtrace_xds_nacks_total", Metrics.label("type", type));
    // Keyed by the whole id (bounded by AdsLimits.maxNodeIdLength), logged clipped.
    Node n = s.node();
    boolean first;
    synchronized (nacksLogged) {
      first = nacksLogged.add((n == null ? "" : n.getId()) + '\0' + type + '\0' + version);
    }
    if (first) {
      nackLog.warn("[{}] node {} rejected {} version {}: {}", s.id, nodeId(s), type, version,
          BoundedLog.clip(message, BoundedLog.TEXT_CHARS));
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("[{}] {} version {} rejected again", s.id, type, version);
    }
  }

  /**
   * What a node was last sent of one type: the version, when, and the resources (the messages
   * that went out, not copies).
   */
  public record SentType(String type, String version, Instant at, List<Any> resources) {}

  /**
   * What the newest open stream of {@code nodeId} was last sent, by type name ({@code clusters},
   * {@code endpoints}, {@code listeners}, {@code routes}; only types sent at least once), or
   * null when no stream of that node is open.
   */
  public Map<String, SentType> sent(String nodeId) {
    AdsStream newest = null;
    for (AdsStream s : streams.values()) {
      Node n = s.node();
      if (n != null && n.getId().equals(nodeId) && (newest == null || s.id > newest.id)) {
        newest = s;
      }
    }
    if (newest == null) {
      return null;
    }
    Map<String, SentType> out = new TreeMap<>();
    for (Map.Entry<String, AdsStream.TypeState> e : newest.types().entrySet()) {
      AdsStream.TypeState t = e.getValue();
      Instant at = t.sentAt();
      if (at == null) {
        continue;
      }
      List<Any> resources;
      if (newest.delta) {
        resources = new ArrayList<>();
        for (io.envoyproxy.envoy.service.discovery.v3.Resource r : t.deltaResources()) {
          resources.add(r.getResource());
        }
      } else {
        DiscoveryResponse r = t.lastResponse;
        resources = r == null ? List.of() : r.getResourcesList();
      }
      out.put(e.getKey(), new SentType(e.getKey(), t.sent, at, resources));
    }
    return out;
  }

  /** One entry per connected stream, as shown by {@code GET /proxies}. */
  public List<Map<String, Object>> proxies() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (AdsStream s : new TreeMap<>(streams).values()) {
      Map<String, Object> p = new LinkedHashMap<>();
      Node n = s.node();
      GroupKey g = s.group();
      p.put("stream", s.id);
      p.put("node", n == null ? "" : n.getId());
      p.put("cluster", n == null ? "" : n.getCluster());
      p.put("role", n == null ? "" : NodeRole.of(n).key());
      p.put("group", g == null ? "" : g.toString());
      p.put("protocol", s.delta ? "delta" : "sotw");
      p.put("connected", s.opened().toString());
      Map<String, Object> types = new TreeMap<>();
      for (Map.Entry<String, AdsStream.TypeState> e : s.types().entrySet()) {
        AdsStream.TypeState ts = e.getValue();
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("sent", ts.sent);
        t.put("acked", ts.acked);
        t.put("synced", !ts.sent.isEmpty() && ts.sent.equals(ts.acked));
        t.put("nacks", ts.nacks);
        types.put(e.getKey(), t);
      }
      p.put("types", types);
      if (!s.unservedTypes().isEmpty()) {
        p.put("unserved", new TreeSet<>(s.unservedTypes()));
      }
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
