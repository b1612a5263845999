package io.meshtrace.context.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of {@code config-values.txt}: every module's test runs them against its own parser.
 * Other modules have it from trace-context's test jar, so there is exactly one table.
 */
public record ConfigValueTable(String kind, String input, String verdict) {

  static final String RESOURCE = "/io/meshtrace/context/config/config-values.txt";

  /** The table, from the classpath (trace-context's test jar in the other modules). */
  public static List<ConfigValueTable> fromClasspath() {
    try (InputStream in = ConfigValueTable.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing " + RESOURCE);
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rows of one kind: {@code duration}, {@code host} or {@code header}. */
  public static List<ConfigValueTable> of(List<ConfigValueTable> rows, String kind) {
    return rows.stream().filter(r -> r.kind.equals(kind)).toList();
  }

  /** Whether the row's input is valid. */
  public boolean valid() {
    return !verdict.equals("invalid");
  }

  /** For a valid duration row, its milliseconds. */
  public long millis() {
    return Long.parseLong(verdict);
  }

  private static List<ConfigValueTable> parse(String text) {
    List<ConfigValueTable> rows = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\\|", -1);
      if (f.length != 3) {
        throw new IllegalStateException("bad table row: " + line);
      }
      rows.add(new ConfigValueTable(f[0], unescape(f[1]), f[2]));
    }
    return rows;
  }

  /** {@code \r}, {@code \n} and {@code \\uXXXX} in the table as the characters they name. */
  private static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(i + 1);
        if (n == 'r' || n == 'n') {
          b.append(n == 'r' ? '\r' : '\n');
          i++;
          continue;
        }
        if (n == 'u' && i + 5 < s.length()) {
          b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
          i += 5;
          continue;
        }
      }
      b.append(c);
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return kind + " '" + input + "' -> " + verdict;
  }
}
