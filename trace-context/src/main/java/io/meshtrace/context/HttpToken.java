package io.meshtrace.context;

/**
 * The RFC 9110 {@code token} grammar, which every HTTP header name (and gRPC metadata key)
 * follows: one or more of {@code ALPHA DIGIT ! # $ % & ' * + - . ^ _ ` | ~}.
 *
 * <p>{@code x-request-id} and {@code X-B3-TraceId} are tokens; {@code x b3}, {@code :path},
 * {@code x-tenant:} and the empty string are not.
 */
public final class HttpToken {

  private static final String SYMBOLS = "!#$%&'*+-.^_`|~";

  private HttpToken() {}

  /** Whether {@code s} is a non-empty RFC 9110 token. */
  public static boolean isToken(CharSequence s) {
    return check(s, true);
  }

  /**
   * Whether {@code s} is a non-empty RFC 9110 token without upper-case letters: a header name
   * as HTTP/2 and Envoy's header maps carry it.
   */
  public static boolean isLowerCaseToken(CharSequence s) {
    return check(s, false);
  }

  private static boolean check(CharSequence s, boolean upperCase) {
    if (s.length() == 0) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || (upperCase && c >= 'A' && c <= 'Z') || SYMBOLS.indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
