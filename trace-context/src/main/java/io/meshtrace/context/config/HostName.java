package io.meshtrace.context.config;

/**
 * A host a listener binds or a client connects to: a DNS name (letters, digits, {@code -},
 * {@code _}, dot-separated, not starting with a dot or dash, no empty label) or an IPv4 or IPv6
 * literal, at most 253 characters.
 *
 * <pre>
 * 127.0.0.1  0.0.0.0  ::1  zipkin.istio-system.svc.cluster.local  otel_collector   valid
 * ""  "a b"  http://x  -x  .x  a..b  x/y  zipkïn                                    not hosts
 * </pre>
 */
public final class HostName {

  /** What a problem line says was expected. */
  public static final String EXPECTED =
      "must be an IP address or host name, e.g. 127.0.0.1, 0.0.0.0 or zipkin.istio-system";

  private static final int MAX_LENGTH = 253;

  private HostName() {}

  /** Whether {@code s} is a host name or IP literal as described above. */
  public static boolean isValid(String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_LENGTH) {
      return false;
    }
    if (s.indexOf(':') >= 0) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
          return false;
        }
      }
      return true;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_';
      if (!ok) {
        return false;
      }
    }
    return s.charAt(0) != '.' && s.charAt(0) != '-' && !s.contains("..");
  }
}
