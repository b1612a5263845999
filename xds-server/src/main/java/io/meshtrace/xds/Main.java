package io.meshtrace.xds;

import io.meshtrace.cli.BuildVersion;
import io.meshtrace.cli.Cli;
import io.meshtrace.cli.LogOptions;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Command line.
 *
 * <pre>
 * xds-server serve [--config FILE] [--bind ADDR] [--port N] [--admin-port N] [--poll-ms N]
 *     [--replica NAME] [--peer URL ... | --peers-service NAME [--namespace NS]]
 *     [--admin-tls-cert FILE --admin-tls-key FILE | --admin-tls-key-store FILE ...]
 * xds-server validate FILE
 * xds-server bootstrap --node-id ID --cluster NAME [--role sidecar|gateway]
 *     [--xds-host H] [--xds-port P] [--admin-port N] [--delta|--sotw]
 * xds-server proxy-status [--admin URL] [--token T | --token-file F]
 * xds-server proxy-config [--admin URL] [--token T | --token-file F] NODE [--type T] [-o json]
 * xds-server --version | [COMMAND] --help
 * </pre>
 * {@code serve} prints one line once both ports are open:
 * {@code xds-server listening ads=127.0.0.1:18000 admin=127.0.0.1:18001}. {@code validate}
 * builds and checks every snapshot and exits 3 with one message per problem. {@code bootstrap}
 * prints an Envoy bootstrap YAML that points an Envoy at this server. {@code proxy-status} and
 * {@code proxy-config} read a running server's admin API as {@code istioctl} does. Exit codes are those of
 * {@link io.meshtrace.cli.ExitCode}.
 */
@Command(name = "xds-server", mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class,
    description = "The meshtrace xDS control plane: pushes tracing configuration to Envoy.")
public final class Main implements Callable<Integer> {

  /** Default Envoy admin port in printed bootstraps. */
  static final int DEFAULT_ENVOY_ADMIN_PORT = 15000;

  @Spec
  private CommandSpec spec;

  @Mixin
  LogOptions logs = new LogOptions();

  private Main() {}

  /** Entry point. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command; returns the exit code ({@code serve} blocks until interrupted). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine tree = new CommandLine(new Main())
        .addSubcommand(new ServeCommand(out, err))
        .addSubcommand(new ValidateCommand(out, err))
        .addSubcommand(new BootstrapCommand(out, err))
        .addSubcommand(new ProxyStatusCommand(out, err))
        .addSubcommand(new ProxyConfigCommand(out, err));
    return Cli.run(tree, out, err, args);
  }

  @Override
  public Integer call() {
    throw Cli.missingSubcommand(spec);
  }
}
