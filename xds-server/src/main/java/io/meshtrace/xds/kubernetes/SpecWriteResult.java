package io.meshtrace.xds.kubernetes;

/**
 * Outcome of {@link MeshTracingSpecWriter#replaceSpec}: one of four, each carrying what the
 * admin API answers with.
 */
public sealed interface SpecWriteResult {
  /**
   * The spec was stored (admin API: 200).
   *
   * @param generation the generation the API server gave the new spec; the status reports on it
   * @param resourceVersion the resourceVersion after the write
   */
  record Written(long generation, String resourceVersion) implements SpecWriteResult {}

  /**
   * Someone changed the spec after it was read (admin API: 409 naming the current version);
   * nothing was written.
   */
  record Conflict(long currentGeneration, String currentResourceVersion)
      implements SpecWriteResult {}

  /** The resource does not exist (admin API: 404 or 409, naming it). */
  record NotFound(MeshTracingRef ref) implements SpecWriteResult {}

  /**
   * The API server refused the request (schema validation 422, forbidden 403, unavailable:
   * code 0 when no answer came), with its bounded message. Nothing was written.
   */
  record Failed(int httpCode, String message) implements SpecWriteResult {}
}
