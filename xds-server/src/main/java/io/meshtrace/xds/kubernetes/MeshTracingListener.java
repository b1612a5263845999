package io.meshtrace.xds.kubernetes;

/**
 * What a {@link MeshTracingSource} reports. Calls come one at a time, on the source's informer
 * thread, in the order the API server's events arrived; a call that throws is repeated at the
 * next resync with the then current state.
 */
public interface MeshTracingListener {
  /** Why there is no resource to serve. */
  enum Absence {
    /** The first list (or a re-list after the watch expired) found no such resource. */
    NOT_FOUND,
    /** The resource was deleted while watched. */
    DELETED
  }

  /**
   * The resource exists and its spec is new to this listener: the first one seen, a new
   * generation, or the same name created again (new uid). Status-only and metadata-only
   * updates are not reported.
   */
  void onSpec(MeshTracingSnapshot snapshot);

  /**
   * The resource does not exist. The listener keeps serving its last good config: an absent
   * resource is not an empty mesh.
   */
  void onAbsent(MeshTracingRef ref, Absence absence);
}
