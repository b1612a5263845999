package io.meshtrace.launcher;

import io.meshtrace.admin.AdminTls;
import io.meshtrace.admin.AdminTlsOptions;
import io.meshtrace.cli.BuildVersion;
import io.meshtrace.cli.Cli;
import io.meshtrace.cli.LogOptions;
import io.meshtrace.cli.ExitCode;
import io.meshtrace.xds.config.ConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One command for the whole control side of meshtrace: xds-server and ext-proc in one JVM on
 * fixed default ports, the gateway's header repair pointed at that ext-proc, and Envoy
 * bootstraps for a gateway and a sidecar written to a directory.
 *
 * <pre>
 * $ java -jar launcher/target/meshtrace.jar
 * meshtrace running ads=127.0.0.1:18000 xds-admin=127.0.0.1:18001 ext-proc=127.0.0.1:18080 ...
 * </pre>
 * SIGTERM or SIGINT stops both gracefully. Exit codes are those of {@link ExitCode}: 1 for a
 * port that cannot be bound (naming the flag), 2 for a bad command line, 3 for an invalid mesh
 * config.
 */
@Command(name = "meshtrace", mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class, sortOptions = false,
    description = {"Runs xds-server and ext-proc in one JVM on the bundled (or given) mesh "
        + "config and writes Envoy bootstraps for a gateway and a sidecar. Prints one line with "
        + "every bound port and both bootstraps; Ctrl-C stops both."})
public final class Launcher implements Callable<Integer>, Cli.ListenerFlags {

  private final PrintStream out;
  private final PrintStream err;

  @Spec
  private CommandSpec spec;

  @Mixin
  LogOptions logs = new LogOptions();

  @Option(names = "--bind", paramLabel = "ADDR", defaultValue = LaunchOptions.DEFAULT_BIND,
      description = "Listen address of all four listeners (default: ${DEFAULT-VALUE}); 0.0.0.0 "
          + "for every interface.")
  String bind;

  @Option(names = "--ads-port", paramLabel = "N", defaultValue = "" + LaunchOptions.DEFAULT_ADS_PORT,
      description = "xds-server ADS (gRPC), default ${DEFAULT-VALUE} (0: any free port).")
  String adsPort;

  @Option(names = "--xds-admin-port", paramLabel = "N",
      defaultValue = "" + LaunchOptions.DEFAULT_XDS_ADMIN_PORT,
      description = "xds-server admin HTTP, default ${DEFAULT-VALUE}.")
  String xdsAdminPort;

  @Option(names = "--ext-proc-port", paramLabel = "N",
      defaultValue = "" + LaunchOptions.DEFAULT_EXT_PROC_PORT,
      description = "ext-proc gRPC, default ${DEFAULT-VALUE}.")
  String extProcPort;

  @Option(names = "--ext-proc-admin-port", paramLabel = "N",
      defaultValue = "" + LaunchOptions.DEFAULT_EXT_PROC_ADMIN_PORT,
      description = "ext-proc admin HTTP, default ${DEFAULT-VALUE}.")
  String extProcAdminPort;

  @Option(names = "--dir", paramLabel = "DIR", defaultValue = LaunchOptions.DEFAULT_DIR,
      description = "Where the Envoy bootstraps and the served mesh config are written, "
          + "default ./${DEFAULT-VALUE}. A mesh config already there is served as it is "
          + "(changes made through the admin API survive a restart).")
  Path dir;

  @Option(names = "--reset",
      description = "Write the mesh config in --dir again from the bundled (or --config) one, "
          + "dropping the changes made since.")
  boolean reset;

  @Option(names = "--config", paramLabel = "FILE",
      description = "An xds-server mesh config instead of the bundled one.")
  Path config;

  @Mixin
  AdminTlsOptions adminTls = new AdminTlsOptions();

  Launcher(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Entry point. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != ExitCode.OK) {
      System.exit(code);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.run(new CommandLine(new Launcher(out, err)), out, err, args);
  }

  @Override
  public String flagFor(String service, String listener) {
    return switch (service + "/" + listener) {
      case "xds-server/ads" -> "--ads-port";
      case "xds-server/admin" -> "--xds-admin-port";
      case "ext-proc/grpc" -> "--ext-proc-port";
      case "ext-proc/admin" -> "--ext-proc-admin-port";
      default -> null;
    };
  }

  /** The parsed flags, without the TLS material (loaded by {@link #call}). */
  LaunchOptions options() {
    return options(null);
  }

  private LaunchOptions options(AdminTls tls) {
    if (bind.isBlank()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--bind: must be an IP address or host name");
    }
    return new LaunchOptions(bind.trim(), port("--ads-port", adsPort),
        port("--xds-admin-port", xdsAdminPort), port("--ext-proc-port", extProcPort),
        port("--ext-proc-admin-port", extProcAdminPort), dir, config, tls, reset);
  }

  @Override
  public Integer call() throws IOException {
    MeshRun run;
    try {
      run = MeshRun.start(options(adminTls.load(spec.commandLine())));
    } catch (GeneralSecurityException e) {
      err.println("meshtrace: invalid admin TLS settings, nothing started: " + e.getMessage());
      return ExitCode.CONFIG;
    } catch (ConfigException e) {
      err.println("meshtrace: invalid mesh config, nothing started:");
      e.errors().forEach(x -> err.println("  " + x));
      return ExitCode.CONFIG;
    }
    out.println(run.line());
    out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      run.close();
      stopped.countDown();
    }, "meshtrace-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return ExitCode.OK;
  }

  private int port(String flag, String value) {
    int p;
    try {
      p = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 0 || p > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(), flag + "=" + value
          + ": must be a port between 0 and 65535 (0: any free port)");
    }
    return p;
  }
}
