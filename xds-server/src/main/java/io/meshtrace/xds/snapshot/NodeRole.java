package io.meshtrace.xds.snapshot;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.Locale;

/**
 * What a connected xDS client is, which decides the shape of its snapshot. Read from the node
 * metadata key {@code role} (or {@code ROLE}); {@code sidecar} when absent.
 *
 * <p>All role handling of the snapshot builder is in one switch over this enum.
 */
public enum NodeRole {
  /** An Envoy sidecar: inbound and outbound catch-all listeners, tracing in both HCMs. */
  SIDECAR,
  /** A proxyless gRPC client (grpc-xds): one api_listener per service, EDS clusters. */
  GRPC,
  /**
   * An ingress gateway Envoy: one HTTP listener routing to services; with header repair an edge
   * listener (ext_proc, no tracing) forwarding to an internal listener that traces.
   */
  GATEWAY;

  /** Node metadata key that carries the role ({@code role: gateway}). */
  public static final String METADATA_KEY = "role";
  /** The same key as the first releases wrote it; still read. */
  public static final String LEGACY_METADATA_KEY = "ROLE";

  /** Lower-case name used in group keys and metadata. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Returns the role named in the node's metadata, or SIDECAR. */
  public static NodeRole of(Node node) {
    Value v = node.getMetadata().getFieldsMap().get(METADATA_KEY);
    if (v == null) {
      v = node.getMetadata().getFieldsMap().get(LEGACY_METADATA_KEY);
    }
    if (v != null && v.hasStringValue()) {
      NodeRole r = parse(v.getStringValue());
      if (r != null) {
        return r;
      }
    }
    return SIDECAR;
  }

  /** Parses a role key, or returns null. */
  public static NodeRole parse(String s) {
    for (NodeRole r : values()) {
      if (r.key().equalsIgnoreCase(s.trim())) {
        return r;
      }
    }
    return null;
  }
}
