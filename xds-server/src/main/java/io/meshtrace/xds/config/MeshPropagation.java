package io.meshtrace.xds.config;

import java.util.Locale;

/**
 * The trace context format a mesh propagates between its proxies, and the default that follows
 * the mesh version.
 *
 * <p>Managed meshes propagate B3 ({@code x-b3-traceid}, {@code x-b3-spanid}, ...) up to and
 * including version {@code 1.18.0.124}, and W3C ({@code traceparent}, {@code tracestate}) after
 * it. {@code defaultFor("1.18.0.124")} is {@link Format#B3}; {@code defaultFor("1.18.0.125")} and
 * {@code defaultFor("1.19")} are {@link Format#W3C}. Missing trailing segments count as zero, so
 * {@code "1.18"} is {@code 1.18.0.0} (B3). A leading {@code v} is accepted ({@code v1.20.1}).
 */
public final class MeshPropagation {

  /** The propagation formats a mesh can use between proxies. */
  public enum Format {
    /** B3 multi-header ({@code x-b3-*}), Zipkin's format. */
    B3,
    /** W3C Trace Context ({@code traceparent}, {@code tracestate}). */
    W3C;

    /** Lower-case name as written in configuration: {@code b3} or {@code w3c}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The last mesh version that propagates B3 by default. */
  public static final String LAST_B3_VERSION = "1.18.0.124";

  private static final long[] LAST_B3 = {1, 18, 0, 124};

  private MeshPropagation() {}

  /**
   * Returns the default format for a mesh version.
   *
   * @param meshVersion dotted numeric version such as {@code 1.18.0.124} or {@code v1.22.3}
   * @throws IllegalArgumentException when the version is not dotted numbers
   */
  public static Format defaultFor(String meshVersion) {
    long[] version = parseVersion(meshVersion);
    for (int i = 0; i < Math.max(version.length, LAST_B3.length); i++) {
      long a = i < version.length ? version[i] : 0;
      long b = i < LAST_B3.length ? LAST_B3[i] : 0;
      if (a != b) {
        return a < b ? Format.B3 : Format.W3C;
      }
    }
    return Format.B3;
  }

  /**
   * Parses {@code b3} or {@code w3c} (any case).
   *
   * @throws IllegalArgumentException for anything else
   */
  public static Format parse(String value) {
    if (value != null) {
      switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "b3":
          return Format.B3;
        case "w3c":
        case "tracecontext":
          return Format.W3C;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("must be one of b3, w3c");
  }

  /** Returns true when the value is a version {@link #defaultFor} accepts. */
  public static boolean isValidVersion(String meshVersion) {
    try {
      parseVersion(meshVersion);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static long[] parseVersion(String meshVersion) {
    if (meshVersion == null || meshVersion.isBlank()) {
      throw new IllegalArgumentException("must be a dotted version such as 1.18.0.124");
    }
    String v = meshVersion.trim();
    if (v.charAt(0) == 'v' || v.charAt(0) == 'V') {
      v = v.substring(1);
    }
    String[] parts = v.split("\\.", -1);
    if (parts.length > 6) {
      throw new IllegalArgumentException("must be a dotted version such as 1.18.0.124");
    }
    long[] out = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 9) {
        throw new IllegalArgumentException("must be a dotted version such as 1.18.0.124");
      }
      for (int j = 0; j < p.length(); j++) {
        if (p.charAt(j) < '0' || p.charAt(j) > '9') {
          throw new IllegalArgumentException("must be a dotted version such as 1.18.0.124");
        }
      }
      out[i] = Long.parseLong(p);
    }
    return out;
  }
}
