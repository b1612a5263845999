package io.meshtrace.xds.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a new spec into the {@code MeshTracing} with the resourceVersion it was read at, so a
 * concurrent change is never overwritten (Kubernetes' optimistic concurrency).
 *
 * <p>A conflict that only the status or metadata caused (the status writer's own updates,
 * a label) is not a conflict for the spec: the generation and spec read are still current, so
 * the write is repeated on the fresh object, at most {@value #ATTEMPTS} times. A changed
 * generation is a {@link SpecWriteResult.Conflict} carrying the current version.
 *
 * <pre>{@code
 * MeshTracingSnapshot read = source.current().orElseThrow();
 * JsonNode merged = ...;                       // read.spec() with the admin change, checked first
 * switch (writer.replaceSpec(read, merged)) {
 *   case SpecWriteResult.Written w -> 200, "generation " + w.generation()
 *   case SpecWriteResult.Conflict c -> 409, "changed meanwhile: now generation " + c.currentGeneration()
 *   ...
 * }
 * }</pre>
 */
public final class MeshTracingSpecWriter {
  static final int ATTEMPTS = 3;

  private final KubernetesClient client;
  private final MeshTracingRef ref;

  public MeshTracingSpecWriter(KubernetesClient client, MeshTracingRef ref) {
    this.client = Objects.requireNonNull(client, "client");
    this.ref = Objects.requireNonNull(ref, "ref");
  }

  /**
   * Replaces the spec of the resource as it was {@code read}.
   *
   * @param read the read the new spec was derived from; its resourceVersion is the precondition
   * @param spec the whole new spec (already checked by xds-server's parser)
   */
  @SuppressWarnings("unchecked")
  public SpecWriteResult replaceSpec(MeshTracingSnapshot read, JsonNode spec) {
    if (!read.ref().equals(ref)) {
      throw new IllegalArgumentException("read of " + read.ref() + ", writer of " + ref);
    }
    Map<String, Object> specValue = MeshTracingSnapshot.JSON.convertValue(spec, Map.class);
    MeshTracingSnapshot base = read;
    for (int attempt = 1; ; attempt++) {
      GenericKubernetesResource body = client.getKubernetesSerialization().clone(base.resource());
      body.getMetadata().setResourceVersion(base.resourceVersion()); // never an unlocked update
      body.getMetadata().setManagedFields(null);
      body.setAdditionalProperty("spec", specValue);
      try {
        GenericKubernetesResource out = client.resource(body).update();
        Long generation = out.getMetadata().getGeneration();
        return new SpecWriteResult.Written(generation == null ? 0 : generation,
            out.getMetadata().getResourceVersion());
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          return new SpecWriteResult.NotFound(ref);
        }
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          return new SpecWriteResult.Failed(ApiError.code(e), ApiError.describe(e));
        }
      }
      MeshTracingSnapshot now;
      try {
        GenericKubernetesResource got = client.genericKubernetesResources(MeshTracingApi.context())
            .inNamespace(ref.namespace()).withName(ref.name()).get();
        if (got == null) {
          return new SpecWriteResult.NotFound(ref);
        }
        now = MeshTracingSnapshot.of(ref, got);
      } catch (KubernetesClientException e) {
        return new SpecWriteResult.Failed(ApiError.code(e), ApiError.describe(e));
      }
      if (!now.sameSpec(read) || attempt == ATTEMPTS) {
        return new SpecWriteResult.Conflict(now.generation(), now.resourceVersion());
      }
      base = now;
    }
  }
}
