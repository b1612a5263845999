package io.meshtrace.extproc;

import io.meshtrace.cli.BuildVersion;
import io.meshtrace.cli.Cli;
import io.meshtrace.cli.LogOptions;
import io.meshtrace.context.explain.ExplainCommand;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * The executable: {@code java -jar ext-proc.jar serve [--config FILE] [--bind ADDR] [--port N]
 * [--admin-port N] [--<key> VALUE ...]} or {@code java -jar ext-proc.jar explain ...}.
 *
 * <p>{@code serve} prints one line once both listeners are bound, e.g.
 * {@code ext-proc listening grpc=127.0.0.1:43123 admin=127.0.0.1:43124}, and on SIGTERM stops
 * accepting streams and drains open ones within {@code server.drain-timeout}. Exit codes are
 * those of {@link io.meshtrace.cli.ExitCode}: 3 for a rejected configuration.
 */
@Command(name = "ext-proc", mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class,
    description = "The meshtrace Envoy ext_proc service: repairs trace context headers at the "
        + "gateway.")
public final class ExtProcMain implements Callable<Integer> {

  @Spec
  private CommandSpec spec;

  @Mixin
  LogOptions logs = new LogOptions();

  private ExtProcMain() {}

  public static void main(String[] args) {
    int code = run(args, System.in, System.out, System.err);
    if (code != io.meshtrace.cli.ExitCode.OK) {
      System.exit(code);
    }
  }

  static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    CommandLine tree = new CommandLine(new ExtProcMain())
        .addSubcommand(ServeCommand.commandLine(out, err))
        .addSubcommand(new Explain(in, out, err));
    return Cli.run(tree, out, err, args);
  }

  @Override
  public Integer call() {
    throw Cli.missingSubcommand(spec);
  }

  /** {@code explain}: the engine's own command, flags and help included, handed through. */
  @Command(name = "explain", description = "Shows what the repair does with the request "
      + "headers given on standard input (run 'explain --help' for its flags).")
  static final class Explain implements Callable<Integer> {

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    @Unmatched
    List<String> args = new ArrayList<>();

    Explain(InputStream in, PrintStream out, PrintStream err) {
      this.in = in;
      this.out = out;
      this.err = err;
    }

    @Override
    public Integer call() {
      return ExplainCommand.run(args.toArray(new String[0]), in, out, err);
    }
  }
}
