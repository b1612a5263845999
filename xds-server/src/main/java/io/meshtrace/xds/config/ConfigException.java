package io.meshtrace.xds.config;

import io.meshtrace.context.config.ConfigProblemsException;
import java.util.List;

/**
 * A mesh configuration that cannot be used: the shared {@link ConfigProblemsException}, one
 * line per problem naming the YAML key path, the value and what was expected:
 * {@code tracing[0].randomSamplingPercentage=140: must be between 0 and 100}.
 */
public final class ConfigException extends ConfigProblemsException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception carrying the given problems (at least one). */
  public ConfigException(List<String> errors) {
    super(errors);
  }

  /** One line per problem: {@link #problems()}. */
  public List<String> errors() {
    return problems();
  }
}
