package io.meshtrace.xds.config;

import java.util.List;

/**
 * A configuration that cannot be used. {@link #errors()} holds one line per problem, each naming
 * the YAML key path, the value and what was expected:
 * {@code tracing[0].randomSamplingPercentage=140: must be between 0 and 100}.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> errors;

  /** Creates an exception carrying the given problems (at least one). */
  public ConfigException(List<String> errors) {
    super(String.join("\n", errors));
    this.errors = List.copyOf(errors);
  }

  /** One line per problem. */
  public List<String> errors() {
    return errors;
  }
}
