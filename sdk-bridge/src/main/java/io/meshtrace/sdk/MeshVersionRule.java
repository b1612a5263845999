package io.meshtrace.sdk;

import io.meshtrace.context.PropagationFormat;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which trace headers a mesh propagates, by its version: B3 (multi-header) up to and
 * including mesh version {@code 1.18.0.124}, W3C Trace Context after it.
 *
 * <p>Versions are dot-separated decimal numbers compared part by part; missing trailing parts
 * count as zero ({@code 1.18} equals {@code 1.18.0.0}). A leading {@code v} is accepted.
 */
final class MeshVersionRule {

  /** The last mesh version whose sidecars propagate B3. */
  static final String LAST_B3_VERSION = "1.18.0.124";

  private static final long[] LAST_B3 = parse(LAST_B3_VERSION);

  private MeshVersionRule() {}

  /**
   * The formats a mesh of {@code version} propagates.
   *
   * @throws IllegalArgumentException naming {@code key} when the version is not dotted numbers
   */
  static Set<PropagationFormat> formatsFor(String key, String version) {
    long[] parts = parse(version);
    if (parts == null) {
      throw new IllegalArgumentException(
          key + "=" + version + ": must be a dotted numeric version such as 1.18.0.124");
    }
    return compare(parts, LAST_B3) <= 0
        ? EnumSet.of(PropagationFormat.B3_MULTI)
        : EnumSet.of(PropagationFormat.W3C);
  }

  /** Dotted decimal parts, or null when {@code version} is not of that form. */
  static long[] parse(String version) {
    if (version == null) {
      return null;
    }
    String v = version.trim();
    if (v.startsWith("v") || v.startsWith("V")) {
      v = v.substring(1);
    }
    if (v.isEmpty()) {
      return null;
    }
    String[] pieces = v.split("\\.", -1);
    long[] parts = new long[pieces.length];
    for (int i = 0; i < pieces.length; i++) {
      String piece = pieces[i];
      if (piece.isEmpty() || piece.length() > 18) {
        return null;
      }
      long value = 0;
      for (int j = 0; j < piece.length(); j++) {
        char c = piece.charAt(j);
        if (c < '0' || c > '9') {
          return null;
        }
        value = value * 10 + (c - '0');
      }
      parts[i] = value;
    }
    return parts;
  }

  static int compare(long[] a, long[] b) {
    int n = Math.max(a.length, b.length);
    for (int i = 0; i < n; i++) {
      long x = i < a.length ? a[i] : 0;
      long y = i < b.length ? b[i] : 0;
      if (x != y) {
        return x < y ? -1 : 1;
      }
    }
    return 0;
  }
}
