package io.meshtrace.xds.snapshot;

import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * Groups nodes by role and service ({@link GroupKey}). The service is the node metadata key
 * {@code SERVICE}, else the node's {@code cluster} (Envoy's {@code --service-cluster}); a node
 * that names neither is in {@code <role>/} (outbound only).
 */
public final class NodeGroups implements NodeGroup<GroupKey> {

  /** Node cluster of the gateway in the shipped bootstrap ({@code bootstrap --role gateway}). */
  public static final String DEFAULT_GATEWAY_CLUSTER = "meshtrace-gateway";

  /** Node metadata key that names the node's service. */
  public static final String SERVICE_KEY = "SERVICE";

  @Override
  public GroupKey hash(Node node) {
    return new GroupKey(NodeRole.of(node), service(node));
  }

  private static String service(Node node) {
    Value v = node.getMetadata().getFieldsMap().get(SERVICE_KEY);
    if (v != null && v.hasStringValue() && !v.getStringValue().isBlank()) {
      return v.getStringValue().trim();
    }
    return node.getCluster().trim();
  }
}
