package io.meshtrace.extproc.config;

import java.util.List;

/**
 * Configuration that cannot be used. The message has one line per problem, each naming the
 * key path, the value and what was expected:
 * {@code repair.tracestate-limit=100: must be an integer between 512 and 1048576}.
 */
public final class ConfigException extends Exception {

  private final List<String> problems;

  ConfigException(List<String> problems) {
    super(String.join(System.lineSeparator(), problems));
    this.problems = List.copyOf(problems);
  }

  /** One entry per problem, in the order found. */
  public List<String> problems() {
    return problems;
  }
}
