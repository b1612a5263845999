package io.meshtrace.xds.snapshot;

import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * Groups nodes by role and service: {@code sidecar/productpage}, {@code grpc/reviews},
 * {@code gateway/meshtrace-gateway}, {@code sidecar/} (service unknown: outbound only). The service is the node metadata key
 * {@code SERVICE}, else the node's {@code cluster} (Envoy's {@code --service-cluster}).
 */
public final class NodeGroups implements NodeGroup<String> {

  /** Node cluster of the gateway in the shipped bootstrap ({@code bootstrap --role gateway}). */
  public static final String DEFAULT_GATEWAY_CLUSTER = "meshtrace-gateway";

  /** Node metadata key that names the node's service. */
  public static final String SERVICE_KEY = "SERVICE";

  @Override
  public String hash(Node node) {
    return key(NodeRole.of(node), service(node));
  }

  /** The group key for a role and service name (may be empty). */
  public static String key(NodeRole role, String service) {
    return role.key() + "/" + service;
  }

  /** The role part of a group key. */
  public static NodeRole role(String key) {
    NodeRole r = NodeRole.parse(key.substring(0, Math.max(0, key.indexOf('/'))));
    return r == null ? NodeRole.SIDECAR : r;
  }

  /** The service part of a group key (may be empty). */
  public static String service(String key) {
    return key.substring(key.indexOf('/') + 1);
  }

  private static String service(Node node) {
    Value v = node.getMetadata().getFieldsMap().get(SERVICE_KEY);
    if (v != null && v.hasStringValue() && !v.getStringValue().isBlank()) {
      return v.getStringValue().trim();
    }
    return node.getCluster().trim();
  }
}
