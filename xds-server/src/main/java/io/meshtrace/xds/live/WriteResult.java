package io.meshtrace.xds.live;

import java.util.List;

/**
 * What a change through the admin API did.
 *
 * @param status applied, or why not
 * @param errors one line per problem, empty when applied
 */
public record WriteResult(Status status, List<String> errors) {

  /** Why a change was or was not applied. */
  public enum Status {
    /** Checked, written to the file and served. */
    APPLIED,
    /** Not a valid change: the errors name the paths. Nothing changed. */
    INVALID,
    /**
     * The file on disk is not what the server last read: someone edited it. The edit is kept,
     * the change is not applied.
     */
    CONFLICT,
    /** The request, or the file it would write, is over the size limit. Nothing changed. */
    TOO_LARGE
  }

  public WriteResult {
    errors = List.copyOf(errors);
  }

  static WriteResult ok() {
    return new WriteResult(Status.APPLIED, List.of());
  }

  static WriteResult of(Status status, List<String> errors) {
    return new WriteResult(status, errors);
  }

  /** Whether the change is served now. */
  public boolean isApplied() {
    return status == Status.APPLIED;
  }
}
