package io.meshtrace.cli;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs a picocli command tree the way every meshtrace jar does.
 *
 * <ul>
 *   <li>{@code --help} and {@code --version} on every command, exit 0 (annotate commands with
 *       {@code mixinStandardHelpOptions = true, versionProvider = BuildVersion.class});
 *   <li>{@code --flag value} and {@code --flag=value} everywhere;
 *   <li>a usage error prints {@code <command>: <what is wrong, naming the flag>} and the
 *       command's usage to standard error, exit 2;
 *   <li>a failure prints one line to standard error, exit 1; a listener that cannot bind names
 *       the flag that chose its port ({@link ListenerFlags});
 *   <li>commands return {@link ExitCode#CONFIG} themselves after printing every config problem;
 *   <li>logging is set up from {@code --log-format} and {@code --log-level} before the command
 *       runs (add {@link LogOptions} as a {@code @Mixin} to the top command; its flags are
 *       inherited by every subcommand), text at INFO when the command has none.
 * </ul>
 *
 * <pre>{@code
 * CommandLine tree = new CommandLine(new Top()).addSubcommand(new Serve());
 * System.exit(Cli.run(tree, System.out, System.err, args));
 * }</pre>
 */
public final class Cli {

  /**
   * Implemented by commands that open listeners: maps a {@link ListenerBindException#listener()}
   * to the flag (and config key) that chose its port, e.g. {@code --admin-port}.
   */
  public interface ListenerFlags {
    /** The flag for {@code service}'s {@code listener}, or null when the command has none. */
    String flagFor(String service, String listener);
  }

  private Cli() {}

  /** Applies the conventions to {@code tree} and its subcommands, runs it, returns the exit code. */
  public static int run(CommandLine tree, PrintStream out, PrintStream err, String... args) {
    PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8),
        true);
    PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8),
        true);
    usageHeading(tree);
    tree.setOut(outWriter)
        .setErr(errWriter)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(Cli::usageError)
        .setExecutionExceptionHandler(Cli::failure)
        .setExecutionStrategy(parsed -> {
          LogOptions.apply(parsed);
          return new CommandLine.RunLast().execute(parsed);
        });
    try {
      return tree.execute(args);
    } finally {
      outWriter.flush();
      errWriter.flush();
    }
  }

  /** The usage error for a command that needs a subcommand and was given none. */
  public static CommandLine.ParameterException missingSubcommand(CommandSpec spec) {
    return new CommandLine.ParameterException(spec.commandLine(),
        "missing command: one of " + String.join(", ", spec.subcommands().keySet()));
  }

  private static void usageHeading(CommandLine command) {
    command.getCommandSpec().usageMessage().synopsisHeading("usage: ");
    for (CommandLine sub : command.getSubcommands().values()) {
      usageHeading(sub);
    }
  }

  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(command.getCommandSpec().qualifiedName() + ": " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    command.usage(err);
    return ExitCode.USAGE;
  }

  private static int failure(Exception e, CommandLine command,
      CommandLine.ParseResult parsed) {
    PrintWriter err = command.getErr();
    if (e instanceof ListenerBindException bind) {
      String flag = command.getCommand() instanceof ListenerFlags flags
          ? flags.flagFor(bind.service(), bind.listener()) : null;
      err.println(bind.getMessage() + (flag == null ? "" : "; choose another port with " + flag));
      return ExitCode.FAILURE;
    }
    String name = command.getCommandSpec().qualifiedName();
    if (e instanceof RuntimeException) {
      // A bug, not an operator's mistake: the stack trace is what a report needs.
      err.println(name + ": unexpected failure:");
      e.printStackTrace(err);
    } else {
      err.println(name + ": " + e);
    }
    return ExitCode.FAILURE;
  }
}
