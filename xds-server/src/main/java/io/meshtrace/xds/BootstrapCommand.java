package io.meshtrace.xds;

import io.meshtrace.cli.ExitCode;
import io.meshtrace.xds.bootstrap.EnvoyBootstrap;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xds-server bootstrap}: prints an Envoy bootstrap that points an Envoy at xds-server. */
@Command(name = "bootstrap", mixinStandardHelpOptions = true,
    description = "Prints an Envoy bootstrap (YAML) whose dynamic resources come from this "
        + "xds-server over ADS.")
final class BootstrapCommand implements Callable<Integer> {

  private final PrintStream out;
  private final PrintStream err;

  @Spec
  private CommandSpec spec;

  @Option(names = "--node-id", paramLabel = "ID", description = "Envoy's node.id (required).")
  String nodeId;

  @Option(names = "--cluster", paramLabel = "NAME",
      description = "Envoy's node.cluster: the service it runs beside (required).")
  String cluster;

  @Option(names = "--role", paramLabel = "ROLE", defaultValue = "sidecar",
      description = "sidecar or gateway (default: ${DEFAULT-VALUE}).")
  String role;

  @Option(names = "--xds-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Where xds-server's ADS port is (default: ${DEFAULT-VALUE}).")
  String xdsHost;

  @Option(names = "--xds-port", paramLabel = "PORT", defaultValue = "18000",
      description = "xds-server's ADS port (default: ${DEFAULT-VALUE}).")
  String xdsPort;

  @Option(names = "--admin-port", paramLabel = "PORT",
      defaultValue = "" + Main.DEFAULT_ENVOY_ADMIN_PORT,
      description = "Envoy's own admin port, on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  String adminPort;

  @Option(names = "--xds-tls-ca", paramLabel = "FILE",
      description = "ADS over TLS: PEM CA certificates xds-server's certificate must chain to "
          + "(an absolute path on Envoy's file system).")
  String tlsCa;

  @Option(names = "--xds-tls-cert", paramLabel = "FILE",
      description = "mTLS: Envoy's PEM client certificate chain (with --xds-tls-key).")
  String tlsCert;

  @Option(names = "--xds-tls-key", paramLabel = "FILE",
      description = "PEM private key of --xds-tls-cert.")
  String tlsKey;

  @Option(names = "--xds-tls-sni", paramLabel = "NAME",
      description = "Server name sent and required in xds-server's certificate "
          + "(default: --xds-host when it is a name).")
  String tlsSni;

  private boolean delta = true;

  @Option(names = "--delta", description = "Incremental (delta) xDS, the default.")
  void delta(boolean on) {
    delta = true;
  }

  @Option(names = "--sotw", description = "State-of-the-world xDS instead of delta.")
  void sotw(boolean on) {
    delta = false;
  }

  BootstrapCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    EnvoyBootstrap.Options o;
    try {
      o = new EnvoyBootstrap.Options(nodeId, cluster, EnvoyBootstrap.role(role), xdsHost,
          number("--xds-port", xdsPort), number("--admin-port", adminPort), delta,
          EnvoyBootstrap.tls(tlsCa, tlsCert, tlsKey, tlsSni));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    out.print(EnvoyBootstrap.yaml(o));
    out.flush();
    return ExitCode.OK;
  }

  private static int number(String flag, String v) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + "=" + v + ": must be a number between "
          + (flag.equals("--xds-port") ? 1 : 0) + " and 65535");
    }
  }
}
