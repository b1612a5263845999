package io.meshtrace.context.config;

/**
 * The one check of a header value meshtrace sends or sets from configuration (collector
 * headers, exporter headers, ext-proc's marker): visible ASCII, space and tab (RFC 9110
 * {@code field-value} without {@code obs-text}). Control characters could split a header or a
 * log line; non-ASCII octets are read differently by each HTTP stack (Envoy, the JDK client,
 * grpc-java metadata refuse or mangle {@code é}), so all are refused the same way everywhere.
 */
public final class HeaderValue {

  /** What a problem line says was expected. */
  public static final String EXPECTED =
      "header values must be printable ASCII (space and tab allowed, no control characters)";

  private HeaderValue() {}

  /** Whether {@code s} may be sent as a header value. */
  public static boolean isSafe(CharSequence s) {
    if (s == null) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < ' ' && c != '\t') || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
