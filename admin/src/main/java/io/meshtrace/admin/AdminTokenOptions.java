package io.meshtrace.admin;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The admin token flags, the same in every jar that serves an admin API (a picocli mixin). A
 * token is read from a file or the environment, never from the command line, where {@code ps}
 * would show it.
 *
 * <pre>
 * --admin-token-file FILE        write token (also reads); else $MESHTRACE_ADMIN_TOKEN
 * --admin-read-token-file FILE   read-only token; else $MESHTRACE_ADMIN_READ_TOKEN
 * </pre>
 * See {@link AdminTokens} for what each may do and what happens without one.
 */
public final class AdminTokenOptions {

  @Option(names = "--admin-token-file", paramLabel = "FILE",
      description = "File whose first line is the admin write token (it also reads); else the "
          + "environment variable " + AdminTokens.WRITE_ENV + ". Without any token reads are "
          + "open and writes refused.")
  Path writeFile;

  @Option(names = "--admin-read-token-file", paramLabel = "FILE",
      description = "File whose first line is a read-only admin token (GET only); else the "
          + "environment variable " + AdminTokens.READ_ENV + ".")
  Path readFile;

  /** Options as if {@code --admin-token-file} and {@code --admin-read-token-file} were given. */
  public static AdminTokenOptions files(Path writeFile, Path readFile) {
    AdminTokenOptions o = new AdminTokenOptions();
    o.writeFile = writeFile;
    o.readFile = readFile;
    return o;
  }

  /** The tokens from these flags or the process environment. */
  public AdminTokens load() throws IOException {
    return load(System.getenv(), null, null);
  }

  /**
   * The tokens from these flags, else {@code env}, else the fallback files (a config file's
   * settings; null for none).
   *
   * @throws IOException naming the file when one cannot be read or is empty
   */
  public AdminTokens load(Map<String, String> env, Path fallbackWriteFile, Path fallbackReadFile)
      throws IOException {
    return AdminTokens.load(writeFile, readFile, env, fallbackWriteFile, fallbackReadFile);
  }
}
