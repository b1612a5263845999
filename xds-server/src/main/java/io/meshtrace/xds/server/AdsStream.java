package io.meshtrace.xds.server;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.meshtrace.xds.snapshot.GroupKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * One ADS stream as this control plane follows it: the node it serves (fixed by the first
 * request), its group, and per resource type what was sent, acknowledged and rejected.
 *
 * <p>Created by the {@link StreamGuard} when the call starts, found by java-control-plane's
 * callbacks under their stream id ({@link ProxyRegistry}), and made {@link #current()} for the
 * {@link StreamAwareWatcher} while the guard hands it a request: the cache's watch API carries no
 * stream, and the watcher needs this one's NACKs.
 */
final class AdsStream {

  private static final ThreadLocal<AdsStream> CURRENT = new ThreadLocal<>();

  /** Responses remembered per type, by nonce: enough for a NACK of any response in flight. */
  private static final int NONCES_KEPT = 16;

  /** Type names of the served types, in the order of {@link #types}' slots. */
  private static final List<String> TYPE_NAMES = List.of("clusters", "endpoints", "listeners", "routes");

  /*
   * Held per connected node, so kept small (10,000 nodes per replica): times as longs, the
   * served types in four slots, and every map made only when first needed.
   */
  private final long openedMillis = System.currentTimeMillis();
  volatile boolean delta;
  /** java-control-plane's id of this stream; -1 until its first callback. */
  volatile long id = -1;
  private volatile Node node;
  private volatile GroupKey group;
  volatile ProxyRegistry.Nack lastNack;
  volatile boolean announced;
  /** By the index of the type's name in {@link #TYPE_NAMES}; a slot is filled on first use. */
  private final AtomicReferenceArray<TypeState> types = new AtomicReferenceArray<>(TYPE_NAMES.size());
  /**
   * Type URLs this server does not serve, with the names last answered (an empty answer); null
   * until the first such request.
   */
  private volatile Map<String, List<String>> unserved;

  AdsStream(boolean delta) {
    this.delta = delta;
  }

  /** The stream whose request the calling thread is handling, or null. */
  static AdsStream current() {
    return CURRENT.get();
  }

  /** Runs {@code work} with this stream {@link #current()}; the thread-local is cleared after. */
  <T> T call(Supplier<T> work) {
    AdsStream outer = CURRENT.get();
    CURRENT.set(this);
    try {
      return work.get();
    } finally {
      if (outer == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(outer);
      }
    }
  }

  /** {@link #call} for work without a result. */
  void run(Runnable work) {
    call(() -> {
      work.run();
      return null;
    });
  }

  /** The node of the stream's first request, or null before it. */
  Node node() {
    return node;
  }

  /** The group of {@link #node()}, or null before the first request. */
  GroupKey group() {
    return group;
  }

  /** Fixes the stream's node and group (first request). */
  void assign(Node n, GroupKey g) {
    group = g;
    node = n;
  }

  /** When the stream opened. */
  Instant opened() {
    return Instant.ofEpochMilli(openedMillis);
  }

  /** Per-type state of a served type ({@code clusters}, {@code endpoints}, ...). */
  TypeState type(String typeName) {
    int slot = TYPE_NAMES.indexOf(typeName);
    if (slot < 0) {
      throw new IllegalArgumentException("not a served type: " + typeName);
    }
    TypeState t = types.get(slot);
    if (t == null) {
      types.compareAndSet(slot, null, new TypeState());
      t = types.get(slot);
    }
    return t;
  }

  /** The state of every served type used on this stream, by type name, in a fixed order. */
  Map<String, TypeState> types() {
    Map<String, TypeState> out = new LinkedHashMap<>();
    for (int slot = 0; slot < TYPE_NAMES.size(); slot++) {
      TypeState t = types.get(slot);
      if (t != null) {
        out.put(TYPE_NAMES.get(slot), t);
      }
    }
    return out;
  }

  /** Unserved type URLs requested on this stream. */
  Set<String> unservedTypes() {
    Map<String, List<String>> u = unserved;
    return u == null ? Set.of() : u.keySet();
  }

  /**
   * Records a request of a type this server does not serve; returns whether it deserves an
   * (empty) answer: the first request of the type, or one that names other resources.
   */
  boolean unservedRequest(String typeUrl, List<String> names, boolean initial) {
    Map<String, List<String>> u = unserved;
    if (u == null) {
      synchronized (this) {
        if (unserved == null) {
          unserved = new ConcurrentHashMap<>();
        }
        u = unserved;
      }
    }
    List<String> before = u.put(typeUrl, List.copyOf(names));
    return initial || before == null || !before.equals(names);
  }

  /** Distinct unserved type URLs, to bound what one stream may make us remember. */
  int unservedCount() {
    Map<String, List<String>> u = unserved;
    return u == null ? 0 : u.size();
  }

  /** A response as the NACK of it needs it. */
  record Sent(String version, List<String> names, Map<String, String> resources) {}

  /** A SotW answer the client rejected: its version and the names it answered. */
  record Rejected(String version, List<String> names) {}

  /** What one stream was sent, acknowledged and rejected of one type. */
  static final class TypeState {
    volatile String sent = "";
    volatile String acked = "";
    volatile String sentNonce = "";
    volatile long nacks;
    /** When the last response of this type was sent (epoch millis), 0 before the first. */
    private volatile long sentAtMillis;
    /**
     * What {@code /proxies/{node}/config} shows: the last SotW response, or the delta resources
     * sent and not removed since. References to the library's messages (whose {@code Any}s its
     * serializer shares between streams), dropped with the stream.
     */
    volatile DiscoveryResponse lastResponse;
    /** Null until the first delta response. */
    private Map<String, Resource> deltaResources;
    /**
     * The last {@link #NONCES_KEPT} responses, oldest overwritten first: {@code nonces[i]} was
     * answered with {@code sents[i]}; the arrays grow up to that size.
     */
    private String[] nonces = new String[1];
    private Sent[] sents = new Sent[1];
    private int nextSlot;
    private Rejected rejected;
    /** Null until the first delta NACK. */
    private Map<String, String> rejectedResources;

    /** When the last response of this type was sent, or null before the first. */
    Instant sentAt() {
      long at = sentAtMillis;
      return at == 0 ? null : Instant.ofEpochMilli(at);
    }

    private void remember(String nonce, Sent s) {
      if (nextSlot == nonces.length && nonces.length < NONCES_KEPT) {
        int size = Math.min(NONCES_KEPT, 2 * nonces.length);
        nonces = Arrays.copyOf(nonces, size);
        sents = Arrays.copyOf(sents, size);
      }
      int slot = nextSlot % nonces.length;
      nonces[slot] = nonce;
      sents[slot] = s;
      nextSlot = slot + 1;
      sentAtMillis = System.currentTimeMillis();
    }

    /** A SotW response: {@code names} are those of the request it answers. */
    synchronized void sent(String nonce, String version, List<String> names) {
      remember(nonce, new Sent(version, names, Map.of()));
      sent = version;
      sentNonce = nonce;
      if (rejected != null && !rejected.version().equals(version)) {
        rejected = null;
      }
    }

    /** A delta response: the resources it carried with their versions, and those it removed. */
    synchronized void sentDelta(String nonce, String version, Map<String, String> resources,
        List<String> removed) {
      remember(nonce, new Sent(version, List.of(), resources));
      sent = version;
      sentNonce = nonce;
      if (rejectedResources != null) {
        rejectedResources.keySet().removeAll(resources.keySet());
        rejectedResources.keySet().removeAll(removed);
      }
    }

    /** Keeps the resources of a delta response and forgets those it removed. */
    synchronized void keepDelta(List<Resource> sent, List<String> removed) {
      if (deltaResources == null) {
        deltaResources = new LinkedHashMap<>();
      }
      for (Resource r : sent) {
        deltaResources.put(r.getName(), r);
      }
      deltaResources.keySet().removeAll(removed);
    }

    /** The delta resources sent and not removed since, in the order first sent. */
    synchronized List<Resource> deltaResources() {
      return deltaResources == null ? List.of() : List.copyOf(deltaResources.values());
    }

    /** The response with this nonce, or null when unknown or too old. */
    synchronized Sent sentWith(String nonce) {
      for (int i = 0; i < nonces.length; i++) {
        if (nonce.equals(nonces[i])) {
          return sents[i];
        }
      }
      return null;
    }

    /** A SotW NACK of the latest response: not to be answered with its version again. */
    synchronized void rejectSotw(String nonce) {
      Sent s = sentWith(nonce);
      if (s != null && nonce.equals(sentNonce)) {
        rejected = new Rejected(s.version(), s.names());
      }
    }

    /** A delta NACK: the resource versions it carried are not to be sent again. */
    synchronized void rejectDelta(String nonce) {
      Sent s = sentWith(nonce);
      if (s != null) {
        if (rejectedResources == null) {
          rejectedResources = new HashMap<>();
        }
        rejectedResources.putAll(s.resources());
      }
    }

    /** The SotW version the client rejected and no newer one was sent since, or null. */
    synchronized Rejected rejected() {
      return rejected;
    }

    /** Resource versions the client rejected over delta and that were not sent anew since. */
    synchronized Map<String, String> rejectedResources() {
      return rejectedResources == null || rejectedResources.isEmpty()
          ? Map.of() : Map.copyOf(rejectedResources);
    }
  }
}
