package io.meshtrace.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Sits between java-control-plane's stream handling and the snapshot cache so that a NACK is
 * never answered with what was rejected. After a NACK of any type the cache would answer at
 * once, forever:
 *
 * <ul>
 *   <li>SotW, by version: a NACK carries the last <em>accepted</em> version, which differs from
 *       the snapshot's, so the cache sends the rejected version again;
 *   <li>SotW, by names: the cache answers at once when the request names resources the client
 *       has not acknowledged, and a NACK of the first EDS or RDS answer acknowledges none;
 *   <li>delta: the rejected resources stay pending and untracked, so each request of the type
 *       gets them again.
 * </ul>
 *
 * Until a newer version of the type is sent, every request of that type on the stream is handed
 * to the cache as if the client held what it rejected: the version and the names it answered
 * (SotW), the resource versions (delta). The cache then answers only a new snapshot version or
 * newly requested names; the stream's NACKs are found on {@link AdsStream#current()}.
 *
 * <p>After a CDS answer the cache answers an EDS request at once even at the same version (Envoy
 * waits for EDS to finish warming changed clusters); that stays: it is one answer per CDS push.
 */
final class StreamAwareWatcher implements ConfigWatcher {

  private final ConfigWatcher cache;

  StreamAwareWatcher(ConfigWatcher cache) {
    this.cache = cache;
  }

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    String type = ProxyRegistry.typeName(request.getTypeUrl());
    if (type == null) {
      // The stream guard answers types this server does not serve; a watch that never fires
      // (the cache would throw on them).
      return new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
    }
    AdsStream stream = AdsStream.current();
    AdsStream.Rejected rejected = stream == null ? null : stream.type(type).rejected();
    XdsRequest effective = request;
    Set<String> known = knownResourceNames;
    if (rejected != null) {
      effective = XdsRequest.create(request.v3Request().toBuilder()
          .setVersionInfo(rejected.version()).build());
      known = new HashSet<>(knownResourceNames);
      known.addAll(rejected.names());
    }
    return cache.createWatch(ads, effective, known, responseConsumer, hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    String type = ProxyRegistry.typeName(request.getTypeUrl());
    if (type == null) {
      return new DeltaWatch(request, Map.of(), Set.of(), requesterVersion, isWildcard,
          responseConsumer);
    }
    AdsStream stream = AdsStream.current();
    Map<String, String> rejected = stream == null ? Map.of()
        : stream.type(type).rejectedResources();
    Map<String, String> versions = resourceVersions;
    Set<String> pending = pendingResources;
    if (!rejected.isEmpty()) {
      versions = new HashMap<>(resourceVersions);
      pending = new HashSet<>(pendingResources);
      for (Map.Entry<String, String> e : rejected.entrySet()) {
        // Only resources still subscribed: one the client dropped must not come back as tracked.
        if (isWildcard || pending.contains(e.getKey()) || versions.containsKey(e.getKey())) {
          versions.put(e.getKey(), e.getValue());
          pending.remove(e.getKey());
        }
      }
    }
    return cache.createDeltaWatch(request, requesterVersion, versions, pending, isWildcard,
        responseConsumer, hasClusterChanged);
  }
}
