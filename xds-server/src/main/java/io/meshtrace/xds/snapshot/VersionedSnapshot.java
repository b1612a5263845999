package io.meshtrace.xds.snapshot;

import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.Snapshot;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One group's clusters, endpoints, listeners and routes, versioned by content: each resource's
 * version is the SHA-256 of its deterministic serialization, each type's version the SHA-256
 * over its resources' names and versions (16 hex chars, {@code 3f9a0c1d22e4b781}). The same
 * config gives the same versions in every process, so a restart does not make Envoy reload
 * anything ({@code v3.Snapshot.create} versions resources by {@code Message.hashCode()}, which
 * differs between processes).
 *
 * <p>It extends java-control-plane's public abstract {@link Snapshot}, which its cache is generic
 * over, and implements the three lookups the cache makes; resource types this control plane does
 * not serve (secrets, and any type a later java-control-plane adds) are empty.
 */
public final class VersionedSnapshot extends Snapshot {

  private final SnapshotResources<Cluster> clusters;
  private final SnapshotResources<ClusterLoadAssignment> endpoints;
  private final SnapshotResources<Listener> listeners;
  private final SnapshotResources<RouteConfiguration> routes;
  private final Map<ResourceType, SnapshotResources<?>> byType = new EnumMap<>(
      ResourceType.class);
  private final Map<ResourceType, Map<String, VersionedResource<? extends Message>>> versioned =
      new EnumMap<>(ResourceType.class);

  private VersionedSnapshot(SnapshotResources<Cluster> clusters,
      SnapshotResources<ClusterLoadAssignment> endpoints, SnapshotResources<Listener> listeners,
      SnapshotResources<RouteConfiguration> routes) {
    this.clusters = clusters;
    this.endpoints = endpoints;
    this.listeners = listeners;
    this.routes = routes;
    byType.put(ResourceType.CLUSTER, clusters);
    byType.put(ResourceType.ENDPOINT, endpoints);
    byType.put(ResourceType.LISTENER, listeners);
    byType.put(ResourceType.ROUTE, routes);
    byType.forEach((type, r) -> versioned.put(type,
        Collections.unmodifiableMap(r.versionedResources())));
  }

  /**
   * Versions the resources by content. Callers pass maps sorted by name, so a type's version
   * does not depend on the order resources were built in.
   */
  public static VersionedSnapshot create(Map<String, Cluster> clusters,
      Map<String, ClusterLoadAssignment> endpoints, Map<String, Listener> listeners,
      Map<String, RouteConfiguration> routes) {
    return new VersionedSnapshot(resources(clusters), resources(endpoints),
        resources(listeners), resources(routes));
  }

  /** The CDS resources. */
  public SnapshotResources<Cluster> clusters() {
    return clusters;
  }

  /** The EDS resources. */
  public SnapshotResources<ClusterLoadAssignment> endpoints() {
    return endpoints;
  }

  /** The LDS resources. */
  public SnapshotResources<Listener> listeners() {
    return listeners;
  }

  /** The RDS resources. */
  public SnapshotResources<RouteConfiguration> routes() {
    return routes;
  }

  @Override
  public String version(ResourceType type, List<String> resourceNames) {
    SnapshotResources<?> r = byType.get(type);
    return r == null ? "" : r.version(resourceNames);
  }

  @Override
  public Map<String, ? extends Message> resources(ResourceType type) {
    SnapshotResources<?> r = byType.get(type);
    return r == null ? Map.of() : r.resources();
  }

  @Override
  public Map<String, VersionedResource<? extends Message>> versionedResources(
      ResourceType type) {
    return versioned.getOrDefault(type, Map.of());
  }

  private static <T extends Message> SnapshotResources<T> resources(Map<String, T> byName) {
    List<VersionedResource<T>> list = new ArrayList<>(byName.size());
    Hasher all = Hashing.sha256().newHasher();
    for (Map.Entry<String, T> e : byName.entrySet()) {
      String v = hash(e.getValue());
      list.add(VersionedResource.create(e.getValue(), v));
      all.putString(e.getKey(), StandardCharsets.UTF_8).putByte((byte) 0)
          .putString(v, StandardCharsets.UTF_8).putByte((byte) 0);
    }
    String version = all.hash().toString().substring(0, 16);
    return SnapshotResources.create(list, names -> version);
  }

  /** The content version of one resource: 16 hex chars of the SHA-256 of its bytes. */
  static String hash(Message m) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(m.getSerializedSize());
      CodedOutputStream cos = CodedOutputStream.newInstance(out);
      cos.useDeterministicSerialization();
      m.writeTo(cos);
      cos.flush();
      return Hashing.sha256().hashBytes(out.toByteArray()).toString().substring(0, 16);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
