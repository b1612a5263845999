package io.meshtrace.xds.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything wrong with one document, collected rather than stopping at the first: one line per
 * problem, {@code path=value: expected}, plus warnings about things allowed but probably not
 * meant.
 */
final class Problems {

  private final List<String> errors = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  /** Adds {@code path=value: expected}; the value is escaped and cut to 60 characters. */
  void error(String path, String value, String expected) {
    errors.add(path + "=" + ValueSyntax.shorten(value, 60) + ": " + expected);
  }

  void warn(String warning) {
    warnings.add(warning);
  }

  /** Whether a problem was reported at {@code path} or below it. */
  boolean reportedUnder(String path) {
    for (String e : errors) {
      if (e.startsWith(path)) {
        return true;
      }
    }
    return false;
  }

  List<String> warnings() {
    return List.copyOf(warnings);
  }

  /** Throws every problem found, if there is one. */
  void throwIfAny() throws ConfigException {
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
  }
}
