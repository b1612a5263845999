package io.meshtrace.context.config;

import java.util.List;

/**
 * A configuration that cannot be used, with every problem found: one line each, naming the key
 * path, the value and what was expected,
 * {@code tracing[0].randomSamplingPercentage=140: must be between 0 and 100}. The one
 * config-problem exception of meshtrace; commands print {@link #problems()} and exit 3.
 */
public class ConfigProblemsException extends Exception {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /** Carries {@code problems} (at least one), in the order found. */
  public ConfigProblemsException(List<String> problems) {
    super(String.join("\n", problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a config problem exception needs a problem");
    }
    this.problems = List.copyOf(problems);
  }

  /** One line per problem, in the order found. */
  public List<String> problems() {
    return problems;
  }
}
