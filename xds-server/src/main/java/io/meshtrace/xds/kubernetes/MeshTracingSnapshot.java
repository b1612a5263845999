package io.meshtrace.xds.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.Map;
import java.util.Objects;

/**
 * One read of the {@code MeshTracing}: its spec and the coordinates of that read. The
 * {@link #resourceVersion()} is what an update must name to succeed (optimistic concurrency);
 * {@link #generation()} counts spec changes and is what the status reports on.
 *
 * <p>The spec comes as a Jackson tree, the input of xds-server's config parser
 * ({@code ConfigParser.parse(snapshot.spec(), null)}), and as JSON text. A resource without a
 * spec gives a JSON {@code null}, which the parser refuses as {@code (root)}.
 */
public final class MeshTracingSnapshot {
  static final ObjectMapper JSON = new ObjectMapper();

  private final MeshTracingRef ref;
  private final String uid;
  private final String resourceVersion;
  private final long generation;
  private final JsonNode spec;
  private final String specJson;
  private final GenericKubernetesResource resource;

  private MeshTracingSnapshot(MeshTracingRef ref, GenericKubernetesResource resource, JsonNode spec) {
    ObjectMeta meta = resource.getMetadata();
    this.ref = ref;
    this.uid = Objects.requireNonNullElse(meta.getUid(), "");
    this.resourceVersion = Objects.requireNonNull(meta.getResourceVersion(),
        "metadata.resourceVersion");
    this.generation = meta.getGeneration() == null ? 0 : meta.getGeneration();
    this.spec = spec;
    try {
      this.specJson = JSON.writeValueAsString(spec);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    this.resource = resource;
  }

  /** Reads a resource as the API server returned it (the resource is not kept mutable). */
  static MeshTracingSnapshot of(MeshTracingRef ref, GenericKubernetesResource resource) {
    Object spec = resource.getAdditionalProperties().get("spec");
    JsonNode tree = spec == null ? NullNode.getInstance() : JSON.valueToTree(spec);
    return new MeshTracingSnapshot(ref, resource, tree);
  }

  /** Which resource. */
  public MeshTracingRef ref() {
    return ref;
  }

  /** {@code metadata.uid}: changes when the resource is deleted and created again. */
  public String uid() {
    return uid;
  }

  /** {@code metadata.resourceVersion} of this read. */
  public String resourceVersion() {
    return resourceVersion;
  }

  /** {@code metadata.generation}: incremented by the API server on every spec change. */
  public long generation() {
    return generation;
  }

  /** The spec as a tree (a copy: change it freely). */
  public JsonNode spec() {
    return spec.deepCopy();
  }

  /** The spec as compact JSON. */
  public String specJson() {
    return specJson;
  }

  /** {@code status}, as the API server holds it (null when none was written). */
  @SuppressWarnings("unchecked")
  Map<String, Object> status() {
    Object s = resource.getAdditionalProperties().get("status");
    return s instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }

  /** The resource as read, for a write that must name this read's resourceVersion. */
  GenericKubernetesResource resource() {
    return resource;
  }

  /** Same resource (uid), same generation and same spec text. */
  boolean sameSpec(MeshTracingSnapshot other) {
    return other != null && uid.equals(other.uid) && generation == other.generation
        && specJson.equals(other.specJson);
  }

  @Override
  public String toString() {
    return ref + " generation " + generation + " resourceVersion " + resourceVersion;
  }
}
