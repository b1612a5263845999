package io.meshtrace.xds.kubernetes;

/**
 * The one {@code MeshTracing} an xds-server serves: {@code --namespace NS --name NAME}.
 *
 * @param namespace a DNS-1123 label, e.g. {@code meshtrace}
 * @param name a DNS-1123 subdomain, e.g. {@code bookinfo}
 */
public record MeshTracingRef(String namespace, String name) {
  /**
   * Checks both names as the API server would.
   *
   * @throws IllegalArgumentException naming the field, the value and what was expected
   */
  public MeshTracingRef {
    if (namespace == null || namespace.length() > 63 || !isSubdomain(namespace)
        || namespace.indexOf('.') >= 0) {
      throw new IllegalArgumentException("namespace=" + shown(namespace)
          + ": must be a DNS-1123 label (lower-case letters, digits, '-', at most 63)");
    }
    if (name == null || name.length() > 253 || !isSubdomain(name)) {
      throw new IllegalArgumentException("name=" + shown(name)
          + ": must be a DNS-1123 subdomain (lower-case letters, digits, '-', '.', at most 253)");
    }
  }

  /** {@code namespace/name}. */
  @Override
  public String toString() {
    return namespace + "/" + name;
  }

  private static boolean isSubdomain(String s) {
    if (s.isEmpty()) {
      return false;
    }
    int labelStart = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c == '.') {
        int len = i - labelStart;
        if (len == 0 || len > 63 || s.charAt(labelStart) == '-' || s.charAt(i - 1) == '-') {
          return false;
        }
        labelStart = i + 1;
      } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static String shown(String s) {
    if (s == null) {
      return "(missing)";
    }
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
