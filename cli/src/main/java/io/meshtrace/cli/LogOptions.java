package io.meshtrace.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code --log-format text|json} and {@code --log-level LEVEL}, on a jar's top command and (by
 * inheritance) on every subcommand: add it as a {@code @Mixin} to the top command;
 * {@link Cli#run} applies what was given before the command runs.
 *
 * <pre>
 * java -jar xds-server.jar serve --log-format json --log-level debug
 * {"timestamp":"2026-12-02T15:10:00.123Z","level":"INFO","logger":"io.meshtrace.xds.Serve",...}
 * </pre>
 */
public final class LogOptions {

  /** How a log event is written: one line each way. */
  public enum Format {
    /** {@code 2026-12-02T15:10:00.123Z INFO  [main] ControlPlane - message}. */
    TEXT,
    /** One JSON object per line (timestamp, level, logger, thread, message, exception, mdc). */
    JSON
  }

  /** The least severe events written. */
  public enum Level {
    ERROR, WARN, INFO, DEBUG, TRACE
  }

  /** The long names, as {@link Cli} finds them in a parse result. */
  static final String FORMAT_FLAG = "--log-format";
  static final String LEVEL_FLAG = "--log-level";

  @Option(names = FORMAT_FLAG, paramLabel = "FORMAT", scope = ScopeType.INHERIT,
      description = "Log line format: text or json (one JSON object per line), "
          + "default text; logs go to standard error.")
  Format format = Format.TEXT;

  @Option(names = LEVEL_FLAG, paramLabel = "LEVEL", scope = ScopeType.INHERIT,
      description = "Least severe log events written: error, warn, info, debug or trace, "
          + "default info.")
  Level level = Level.INFO;

  /**
   * The values given anywhere on the command line parsed into {@code parsed} (a subcommand's
   * flags win over its parents'), applied to the logging backend.
   */
  static void apply(CommandLine.ParseResult parsed) {
    Format format = null;
    Level level = null;
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      format = p.matchedOptionValue(FORMAT_FLAG, format);
      level = p.matchedOptionValue(LEVEL_FLAG, level);
    }
    LogBackend.configure(format == null ? Format.TEXT : format,
        level == null ? Level.INFO : level);
  }
}
