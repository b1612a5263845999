package io.meshtrace.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Who may use an admin API: a write token (every method) and an optional read token
 * ({@code GET} and {@code HEAD} only), each sent as {@code Authorization: Bearer <token>} and
 * compared in constant time ({@link BearerToken}). {@code /healthz}, {@code /readyz} and
 * {@code /metrics} never ask for one (probes and scrapers carry no secret).
 *
 * <pre>
 * tokens configured   GET, HEAD                      PUT, POST, DELETE, ...
 * none                open (127.0.0.1 by default)    403: writes are disabled
 * write only          write token, else 401          write token, else 401
 * read and write      read or write token, else 401  write token; read token 403, else 401
 * read only           read token, else 401           403: writes are disabled
 * </pre>
 */
public final class AdminTokens {

  /** Environment variable holding the write token (it also reads). */
  public static final String WRITE_ENV = "MESHTRACE_ADMIN_TOKEN";
  /** Environment variable holding the read-only token. */
  public static final String READ_ENV = "MESHTRACE_ADMIN_READ_TOKEN";

  /** No token: reads open, writes refused. */
  public static final AdminTokens NONE = new AdminTokens(null, null);

  private final BearerToken read;
  private final BearerToken write;

  private AdminTokens(BearerToken read, BearerToken write) {
    this.read = read;
    this.write = write;
  }

  /** Tokens from their values; null or blank leaves one out. */
  public static AdminTokens of(String read, String write) {
    return new AdminTokens(BearerToken.of(read), BearerToken.of(write));
  }

  /**
   * The tokens of a service: for each, the file when given, else the environment variable
   * ({@link #WRITE_ENV}, {@link #READ_ENV}), else the fallback file (a config file's setting),
   * else none.
   *
   * @throws IOException naming the file when one cannot be read or is empty
   */
  public static AdminTokens load(Path writeFile, Path readFile, Map<String, String> env,
      Path fallbackWriteFile, Path fallbackReadFile) throws IOException {
    return new AdminTokens(
        BearerToken.of(one(readFile, env.get(READ_ENV), fallbackReadFile)),
        BearerToken.of(one(writeFile, env.get(WRITE_ENV), fallbackWriteFile)));
  }

  private static String one(Path file, String env, Path fallback) throws IOException {
    if (file != null) {
      return readFile(file);
    }
    if (env != null && !env.isBlank()) {
      return env;
    }
    return fallback == null ? null : readFile(fallback);
  }

  /**
   * A token file's first line, trimmed.
   *
   * @throws IOException naming the file when it cannot be read or holds no token
   */
  public static String readFile(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int eol = text.indexOf('\n');
    String token = (eol < 0 ? text : text.substring(0, eol)).trim();
    if (token.isEmpty()) {
      throw new IOException("token file " + file + " is empty");
    }
    return token;
  }

  /** Whether any token is set (then every route but the probes needs one). */
  public boolean configured() {
    return read != null || write != null;
  }

  /** Whether a write token is set (without one, every write is refused). */
  public boolean writable() {
    return write != null;
  }

  /**
   * Null when a request with this method and {@code Authorization} header may go on; else the
   * answer: 401 (no or a wrong token) or 403 (the read token on a write, or writes disabled).
   */
  AdminResponse check(String method, String authorization) {
    boolean reading = method.equals("GET") || method.equals("HEAD");
    // Both compared every time: the answer's timing does not say which one was tried.
    boolean isWrite = write != null && write.matches(authorization);
    boolean isRead = read != null && read.matches(authorization);
    if (reading) {
      if (!configured() || isWrite || isRead) {
        return null;
      }
      return unauthorized();
    }
    if (write == null) {
      return AdminResponse.text(403, "writes are disabled: no admin token configured for"
          + " writes (--admin-token-file or " + WRITE_ENV + ")\n");
    }
    if (isWrite) {
      return null;
    }
    if (isRead) {
      return AdminResponse.text(403, "the read token cannot change anything; use the write"
          + " token\n");
    }
    return unauthorized();
  }

  private static AdminResponse unauthorized() {
    return AdminResponse.text(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)"
        + "\n").withHeader("WWW-Authenticate", "Bearer");
  }

  @Override
  public String toString() {
    return "AdminTokens[read=" + (read != null) + ", write=" + (write != null) + "]";
  }
}
