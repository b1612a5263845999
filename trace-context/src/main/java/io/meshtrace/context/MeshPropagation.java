package io.meshtrace.context;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which trace headers a managed mesh propagates between its proxies, by mesh version: B3
 * multi-header ({@code x-b3-traceid}, {@code x-b3-spanid}, ...) up to and including
 * {@value #LAST_B3_VERSION}, W3C Trace Context ({@code traceparent}, {@code tracestate}) after
 * it.
 *
 * <p>A version is dot-separated decimal numbers, compared part by part; missing trailing parts
 * count as zero ({@code 1.18} is {@code 1.18.0.0}, B3) and a leading {@code v} or {@code V} is
 * accepted ({@code v1.20.1}, W3C). Surrounding white space is ignored.
 *
 * <pre>{@code
 * MeshPropagation.formatsFor("meshtrace.mesh.version", "1.18.0.124")  // [B3_MULTI]
 * MeshPropagation.formatsFor("meshtrace.mesh.version", "1.18.0.125")  // [W3C]
 * MeshPropagation.formatsFor("meshtrace.mesh.version", "latest")
 *     // IllegalArgumentException: meshtrace.mesh.version=latest: must be a dotted numeric
 *     // version such as 1.18.0.124
 * }</pre>
 */
public final class MeshPropagation {

  /** The last mesh version whose proxies propagate B3. */
  public static final String LAST_B3_VERSION = "1.18.0.124";

  /** A part longer than this could overflow a {@code long}. */
  private static final int MAX_PART_DIGITS = 18;

  private static final long[] LAST_B3 = parse(LAST_B3_VERSION);

  private MeshPropagation() {}

  /**
   * The formats a mesh of {@code version} propagates: {@link PropagationFormat#B3_MULTI} up to
   * and including {@value #LAST_B3_VERSION}, {@link PropagationFormat#W3C} after it.
   *
   * @param key the configuration key the version came from, named in the error
   * @throws IllegalArgumentException {@code key=version: must be a dotted numeric version such
   *     as 1.18.0.124} when {@link #isVersion} rejects {@code version}
   */
  public static Set<PropagationFormat> formatsFor(String key, String version) {
    long[] parts = parse(version);
    if (parts == null) {
      throw new IllegalArgumentException(
          key + "=" + version + ": must be a dotted numeric version such as " + LAST_B3_VERSION);
    }
    return compare(parts, LAST_B3) <= 0
        ? EnumSet.of(PropagationFormat.B3_MULTI)
        : EnumSet.of(PropagationFormat.W3C);
  }

  /** Whether {@code version} is a mesh version {@link #formatsFor} accepts. */
  public static boolean isVersion(String version) {
    return parse(version) != null;
  }

  /** The decimal parts of {@code version}, or null when it is not dotted numbers. */
  private static long[] parse(String version) {
    if (version == null) {
      return null;
    }
    String v = version.trim();
    int start = !v.isEmpty() && (v.charAt(0) == 'v' || v.charAt(0) == 'V') ? 1 : 0;
    int count = 1;
    for (int i = start; i < v.length(); i++) {
      if (v.charAt(i) == '.') {
        count++;
      }
    }
    long[] parts = new long[count];
    int part = 0;
    int digits = 0;
    long value = 0;
    for (int i = start; i <= v.length(); i++) {
      char c = i < v.length() ? v.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0) {
          return null;
        }
        parts[part++] = value;
        digits = 0;
        value = 0;
      } else if (c >= '0' && c <= '9' && digits < MAX_PART_DIGITS) {
        value = value * 10 + (c - '0');
        digits++;
      } else {
        return null;
      }
    }
    return parts;
  }

  private static int compare(long[] a, long[] b) {
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
