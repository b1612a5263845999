package io.meshtrace.xds.live;

import java.util.List;
import java.util.Map;

/**
 * What a change through the admin API did.
 *
 * @param status applied, or why not
 * @param errors one line per problem, empty when applied
 * @param details what the source adds to the answer, e.g. {@code generation} and
 *     {@code resourceVersion} written, or the current ones on a conflict; empty for a file
 */
public record WriteResult(Status status, List<String> errors, Map<String, Object> details) {

  /** Why a change was or was not applied. */
  public enum Status {
    /** Checked, written to the source and served. */
    APPLIED,
    /** Not a valid change: the errors name the paths. Nothing changed. */
    INVALID,
    /**
     * The source is not what the server last read (someone edited it), or it cannot take
     * writes (a read-only file). Nothing changed; the errors say what to do instead.
     */
    CONFLICT,
    /** The request, or the file it would write, is over the size limit. Nothing changed. */
    TOO_LARGE,
    /** The source refused or did not answer (the Kubernetes API server). Nothing changed. */
    UNAVAILABLE
  }

  public WriteResult {
    errors = List.copyOf(errors);
    details = Map.copyOf(details);
  }

  public WriteResult(Status status, List<String> errors) {
    this(status, errors, Map.of());
  }

  static WriteResult ok() {
    return new WriteResult(Status.APPLIED, List.of());
  }

  /** A result without details. */
  public static WriteResult of(Status status, List<String> errors) {
    return new WriteResult(status, errors);
  }

  /** Whether the change is served now. */
  public boolean isApplied() {
    return status == Status.APPLIED;
  }
}
