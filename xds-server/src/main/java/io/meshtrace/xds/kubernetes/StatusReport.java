package io.meshtrace.xds.kubernetes;

import java.util.List;
import java.util.Objects;

/**
 * What one replica made of one generation of the spec, as the {@code status} will say it:
 * {@code Accepted=True} (served) or {@code Accepted=False} with reason {@code Invalid} and the
 * field problems, plus the version being served. Every replica computes the same report for the
 * same spec; only the one holding the Lease writes it.
 *
 * @param uid the resource the report is about (a resource created again is another one)
 * @param generation the generation of the spec that was checked
 * @param accepted whether that spec is served
 * @param reason CamelCase reason, {@value #ACCEPTED} or {@value #INVALID}
 * @param message bounded human text: the version served, or the problems with their fields
 * @param servedVersion content hash of the config served (the last good one when refused),
 *     or null when none is served yet
 */
public record StatusReport(String uid, long generation, boolean accepted, String reason,
    String message, String servedVersion) {
  /** Reason of a served spec. */
  public static final String ACCEPTED = "Accepted";
  /** Reason of a spec the parser or the snapshot checks refused. */
  public static final String INVALID = "Invalid";
  /** Longest message written; well under the API's 32768, readable in {@code kubectl describe}. */
  public static final int MAX_MESSAGE = 4096;
  /** Longest single problem kept in a message. */
  static final int MAX_PROBLEM = 512;

  public StatusReport {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    if (!isReason(reason)) {
      throw new IllegalArgumentException("reason=" + reason + ": must be CamelCase"
          + " ([A-Za-z][A-Za-z0-9_,:]*, at most 1024)");
    }
    if (generation < 0) {
      throw new IllegalArgumentException("generation=" + generation + ": must be >= 0");
    }
    message = ApiError.bounded(message, MAX_MESSAGE);
    if (servedVersion != null) {
      servedVersion = ApiError.bounded(servedVersion, 256);
    }
  }

  /** The spec of {@code snapshot} is served as {@code servedVersion}. */
  public static StatusReport accepted(MeshTracingSnapshot snapshot, String servedVersion) {
    return new StatusReport(snapshot.uid(), snapshot.generation(), true, ACCEPTED,
        "generation " + snapshot.generation() + " is served as version " + servedVersion,
        Objects.requireNonNull(servedVersion, "servedVersion"));
  }

  /**
   * The spec of {@code snapshot} was refused for {@code problems} (each naming its field, as the
   * parser writes them); {@code servedVersion} is what is still served, or null.
   */
  public static StatusReport invalid(MeshTracingSnapshot snapshot, List<String> problems,
      String servedVersion) {
    StringBuilder b = new StringBuilder();
    b.append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    b.append(servedVersion == null ? ", nothing served yet: "
        : ", still serving version " + servedVersion + ": ");
    for (int i = 0; i < problems.size(); i++) {
      String p = ApiError.bounded(problems.get(i), MAX_PROBLEM);
      String more = "; ... and " + (problems.size() - i) + " more";
      if (b.length() + p.length() + 2 + more.length() > MAX_MESSAGE) {
        b.append(more);
        break;
      }
      b.append(i == 0 ? "" : "; ").append(p);
    }
    return new StatusReport(snapshot.uid(), snapshot.generation(), false, INVALID, b.toString(),
        servedVersion);
  }

  private static boolean isReason(String s) {
    if (s.isEmpty() || s.length() > 1024 || !Character.isLetter(s.charAt(0))
        || s.charAt(0) > 'z') {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || (i < s.length() - 1 && (c == ',' || c == ':'));
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
