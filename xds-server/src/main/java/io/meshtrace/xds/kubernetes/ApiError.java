package io.meshtrace.xds.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** One bounded line for a failed API call: the HTTP code and the API server's message. */
final class ApiError {
  /** Longest text of an API error carried in a log line or a result. */
  static final int MAX_CHARS = 400;

  private ApiError() {}

  /** HTTP code of a client exception, 0 when the call never got an answer. */
  static int code(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        return k.getCode();
      }
    }
    return 0;
  }

  /** {@code HTTP 403: meshtracings.meshtrace.io "bookinfo" is forbidden ...}, bounded. */
  static String describe(Throwable t) {
    int code = code(t);
    String message = null;
    for (Throwable c = t; c != null && message == null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getStatus() != null
          && k.getStatus().getMessage() != null) {
        message = k.getStatus().getMessage();
      }
    }
    if (message == null) {
      message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
    return bounded((code > 0 ? "HTTP " + code + ": " : "") + message, MAX_CHARS);
  }

  /** {@code s} on one line, control characters replaced, at most {@code max} chars. */
  static String bounded(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && b.length() < max; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (s.length() > max) {
      b.setLength(max - 3);
      b.append("...");
    }
    return b.toString();
  }
}
