package io.meshtrace.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The secret an admin route asks for in {@code Authorization: Bearer <token>}, compared in
 * constant time so that response timing says nothing about how much of a guess was right.
 * {@link #toString()} never shows it.
 */
public final class BearerToken {

  private static final String SCHEME = "Bearer ";

  private final byte[] token;

  private BearerToken(byte[] token) {
    this.token = token;
  }

  /** The token, or null when {@code token} is null or blank (then no request is authorized). */
  public static BearerToken of(String token) {
    if (token == null || token.isBlank()) {
      return null;
    }
    return new BearerToken(token.trim().getBytes(StandardCharsets.UTF_8));
  }

  /** True when {@code authorization} is {@code Bearer <this token>} (scheme case-insensitive). */
  public boolean matches(String authorization) {
    if (authorization == null
        || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return false;
    }
    byte[] given = authorization.substring(SCHEME.length()).trim()
        .getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, token);
  }

  @Override
  public String toString() {
    return "BearerToken[redacted]";
  }
}
