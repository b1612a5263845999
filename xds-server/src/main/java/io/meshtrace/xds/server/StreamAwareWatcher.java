package io.meshtrace.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.meshtrace.xds.snapshot.NodeGroups;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Sits between java-control-plane's stream handling and the snapshot cache and fixes two things
 * the cache cannot know by itself:
 *
 * <ul>
 *   <li>Group by stream: Envoy with {@code set_node_on_first_message_only} (and grpc-xds) sends
 *       the node once; later requests carry none, and the cache would group them as an empty
 *       node. The stream's first node is put back into each request.
 *   <li>No re-send loop after a NACK: a SotW NACK carries the last <em>accepted</em> version, so
 *       the cache would answer at once with the rejected version again, forever. The NACK is
 *       handed to the cache as if it named the rejected version: the cache then waits for the
 *       next snapshot. A delta NACK is handed over as if the client held the rejected resource
 *       versions, for the same reason.
 * </ul>
 * It also makes sure the node's group has a snapshot before the cache looks.
 */
final class StreamAwareWatcher implements ConfigWatcher {

  private static final NodeGroups GROUPS = new NodeGroups();

  private final ConfigWatcher cache;
  private final ProxyRegistry registry;
  private final ControlPlane plane;

  StreamAwareWatcher(ConfigWatcher cache, ProxyRegistry registry, ControlPlane plane) {
    this.cache = cache;
    this.registry = registry;
    this.plane = plane;
  }

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    DiscoveryRequest r = request.v3Request();
    Long stream = ProxyRegistry.currentStream();
    DiscoveryRequest.Builder b = null;
    if (!r.hasNode() && stream != null) {
      Node n = registry.node(stream);
      if (n != null) {
        b = r.toBuilder().setNode(n);
      }
    }
    if (r.hasErrorDetail() && stream != null) {
      String rejected = registry.versionSent(stream, r.getTypeUrl(), r.getResponseNonce());
      if (rejected != null) {
        b = (b == null ? r.toBuilder() : b).setVersionInfo(rejected);
      }
    }
    DiscoveryRequest effective = b == null ? r : b.build();
    plane.ensureGroup(GROUPS.hash(effective.getNode()));
    return cache.createWatch(ads, b == null ? request : XdsRequest.create(effective),
        knownResourceNames, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    DeltaDiscoveryRequest r = request.v3Request();
    Long stream = ProxyRegistry.currentStream();
    DeltaXdsRequest effective = request;
    if (!r.hasNode() && stream != null) {
      Node n = registry.node(stream);
      if (n != null) {
        effective = DeltaXdsRequest.create(r.toBuilder().setNode(n).build());
      }
    }
    Map<String, String> versions = resourceVersions;
    Set<String> pending = pendingResources;
    if (r.hasErrorDetail() && stream != null) {
      Map<String, String> rejected = registry.deltaResourcesSent(stream, r.getTypeUrl(),
          r.getResponseNonce());
      if (rejected != null) {
        versions = new java.util.HashMap<>(resourceVersions);
        versions.putAll(rejected);
        pending = new java.util.HashSet<>(pendingResources);
        pending.removeAll(rejected.keySet());
      }
    }
    plane.ensureGroup(GROUPS.hash(effective.v3Request().getNode()));
    return cache.createDeltaWatch(effective, requesterVersion, versions, pending, isWildcard,
        responseConsumer, hasClusterChanged);
  }
}
