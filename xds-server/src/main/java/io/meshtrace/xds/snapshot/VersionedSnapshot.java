package io.meshtrace.xds.snapshot;

import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Snapshots whose versions are content hashes: each resource's version is the SHA-256 of its
 * deterministic serialization, each type's version the SHA-256 over its resources' names and
 * versions. The same config gives the same versions in every process, so a restart does not make
 * Envoy reload anything. ({@code Snapshot.create} would version resources by
 * {@code Message.hashCode()}, which differs between processes.)
 */
final class VersionedSnapshot {

  private static final Constructor<?> AUTO_VALUE;

  static {
    // v3.Snapshot has no public factory taking versioned resources, and javac cannot compile a
    // subclass of it (its versionedResources() generic signature does not match the base
    // class's). Its AutoValue constructor takes exactly the five resource sets.
    try {
      Class<?> c = Class.forName("io.envoyproxy.controlplane.cache.v3.AutoValue_Snapshot");
      Constructor<?> k = c.getDeclaredConstructor(SnapshotResources.class,
          SnapshotResources.class, SnapshotResources.class, SnapshotResources.class,
          SnapshotResources.class);
      k.setAccessible(true);
      AUTO_VALUE = k;
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private VersionedSnapshot() {}

  static Snapshot create(Map<String, Cluster> clusters,
      Map<String, ClusterLoadAssignment> endpoints, Map<String, Listener> listeners,
      Map<String, RouteConfiguration> routes) {
    try {
      return (Snapshot) AUTO_VALUE.newInstance(resources(clusters), resources(endpoints),
          resources(listeners), resources(routes), resources(Map.<String, Secret>of()));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("java-control-plane Snapshot layout changed", e);
    }
  }

  private static <T extends Message> SnapshotResources<T> resources(Map<String, T> byName) {
    List<VersionedResource<T>> list = new ArrayList<>();
    Hasher all = Hashing.sha256().newHasher();
    // Callers pass sorted maps: the type version does not depend on build order.
    for (Map.Entry<String, T> e : byName.entrySet()) {
      String v = hash(e.getValue());
      list.add(VersionedResource.create(e.getValue(), v));
      all.putString(e.getKey(), StandardCharsets.UTF_8).putByte((byte) 0)
          .putString(v, StandardCharsets.UTF_8).putByte((byte) 0);
    }
    String version = all.hash().toString().substring(0, 16);
    return SnapshotResources.create(list, names -> version);
  }

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
