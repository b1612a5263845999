package io.meshtrace.extproc.config;

/** Header name checks shared by the configuration and the per-request mutation filter. */
public final class HeaderNames {

  private static final String ENVOY_PREFIX = "x-envoy-";

  private HeaderNames() {}

  /**
   * True for headers Envoy's ext_proc filter refuses to change: pseudo-headers
   * ({@code :authority}, {@code :method}, ...), {@code host} and {@code x-envoy-*}.
   */
  public static boolean isProtected(CharSequence name) {
    int length = name.length();
    if (length == 0) {
      return true;
    }
    if (name.charAt(0) == ':') {
      return true;
    }
    if (length == 4 && "host".contentEquals(name)) {
      return true;
    }
    if (length < ENVOY_PREFIX.length()) {
      return false;
    }
    for (int i = 0; i < ENVOY_PREFIX.length(); i++) {
      if (name.charAt(i) != ENVOY_PREFIX.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
