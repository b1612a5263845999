package io.meshtrace.xds.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Resolves environment variables and files; a {@code secretKeyRef} is refused (it needs the
 * Kubernetes source). A file's trailing line breaks are dropped ({@code echo token > file}
 * writes one); everything else is the value.
 */
public final class LocalSecrets implements SecretResolver {

  /** Longest file read as a value. */
  public static final int MAX_FILE_BYTES = 64 << 10;

  private static final LocalSecrets PROCESS = new LocalSecrets(System.getenv());

  private final Map<String, String> env;

  /** Resolves against {@code env} instead of the process environment (tests, embedding). */
  public LocalSecrets(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  /** Environment variables of this process, and files. */
  public static LocalSecrets process() {
    return PROCESS;
  }

  @Override
  public String env(String name) throws Unresolved {
    String v = env.get(name);
    if (v == null) {
      throw new Unresolved("environment variable " + ValueSyntax.shorten(name, 120)
          + " is not set");
    }
    return v;
  }

  @Override
  public String file(Path file) throws Unresolved {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (IOException e) {
      throw new Unresolved("cannot read " + file.toAbsolutePath() + " ("
          + e.getClass().getSimpleName() + ")");
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw new Unresolved(file.toAbsolutePath() + " is larger than " + MAX_FILE_BYTES
          + " bytes");
    }
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
      end--;
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }

  @Override
  public String secret(String name, String key) throws Unresolved {
    throw new Unresolved("secretKeyRef needs the Kubernetes source (serve --source kubernetes);"
        + " with a config file use envName or file (a mounted Secret)");
  }
}
