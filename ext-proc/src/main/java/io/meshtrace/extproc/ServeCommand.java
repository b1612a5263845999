package io.meshtrace.extproc;

import io.meshtrace.admin.AdminServer;
import io.meshtrace.admin.AdminTls;
import io.meshtrace.admin.AdminTlsOptions;
import io.meshtrace.cli.Cli;
import io.meshtrace.cli.ExitCode;
import io.meshtrace.cli.ListenerBindException;
import io.meshtrace.context.config.ConfigProblemsException;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ext-proc serve}: every key of {@code ext-proc.yaml} is also a flag
 * ({@code --repair.output-formats w3c,b3multi} or {@code --limits.max-headers=200}), listed
 * with its default by {@code serve --help}; flags win over {@code --config FILE}, which wins
 * over the bundled defaults.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs the Envoy ext_proc service that repairs trace context headers, with "
        + "its admin listener (/healthz, /readyz, /metrics). Prints one line once both are bound:",
        "  ext-proc listening grpc=127.0.0.1:18080 admin=127.0.0.1:9902",
        "Every key of ext-proc.yaml is a flag too (below, with its default)."})
final class ServeCommand implements Callable<Integer>, Cli.ListenerFlags {

  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> keys;

  @Spec
  private CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "YAML file over the bundled defaults (same keys as below).")
  String config;

  @Option(names = "--bind", paramLabel = "ADDR",
      description = "Listen address of both the gRPC and the admin listener (sets server.address "
          + "and admin.address; default 127.0.0.1); 0.0.0.0 for every interface.")
  String bind;

  @Option(names = "--address", paramLabel = "ADDR", description = "Same as --server.address.")
  String address;

  @Option(names = "--port", paramLabel = "N", description = "Same as --server.port.")
  String port;

  @Option(names = "--admin-port", paramLabel = "N", description = "Same as --admin.port.")
  String adminPort;

  @Mixin
  AdminTlsOptions adminTls = new AdminTlsOptions();

  private ServeCommand(PrintStream out, PrintStream err, Map<String, String> keys) {
    this.out = out;
    this.err = err;
    this.keys = keys;
  }

  /** The command with one option per configuration key. */
  static CommandLine commandLine(PrintStream out, PrintStream err) {
    Map<String, String> keys = ExtProcConfigParser.defaultSettings();
    CommandLine cl = new CommandLine(new ServeCommand(out, err, keys));
    CommandSpec spec = cl.getCommandSpec();
    for (Map.Entry<String, String> key : keys.entrySet()) {
      spec.addOption(OptionSpec.builder("--" + key.getKey())
          .paramLabel("VALUE")
          .type(String.class)
          .description("default: " + (key.getValue().isEmpty() ? "(none)" : key.getValue()))
          .build());
    }
    return cl;
  }

  @Override
  public String flagFor(String service, String listener) {
    return switch (listener) {
      case "grpc" -> "--port (server.port)";
      case "admin" -> "--admin-port (admin.port)";
      default -> null;
    };
  }

  @Override
  public Integer call() throws IOException, GeneralSecurityException {
    ExtProcConfig cfg;
    try {
      cfg = ExtProcConfigParser.fromArgs(parserArgs().toArray(new String[0]));
    } catch (ConfigProblemsException e) {
      err.println("ext-proc: invalid configuration, not starting:");
      for (String problem : e.problems()) {
        err.println("  " + problem);
      }
      return ExitCode.CONFIG;
    }
    AdminTls tls;
    try {
      tls = adminTls.load(spec.commandLine());
    } catch (GeneralSecurityException e) {
      err.println("ext-proc: invalid configuration, not starting:");
      err.println("  admin TLS: " + e.getMessage());
      return ExitCode.CONFIG;
    }
    ExtProcServer server;
    try {
      server = new ExtProcServer(ExtProcServer.nettyBuilder(cfg), cfg).start();
    } catch (IOException e) {
      throw ListenerBindException.of(ExtProcMetrics.SERVICE, "grpc", cfg.grpcAddress(),
          cfg.grpcPort(), e);
    }
    AdminServer admin;
    try {
      admin = server.startAdmin(AdminServer.builder(ExtProcMetrics.SERVICE)
          .address(cfg.adminAddress(), cfg.adminPort()).tls(tls));
    } catch (IOException | RuntimeException e) {
      try {
        server.shutdownNow();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
    out.println("ext-proc listening grpc=" + describe(server.listenSockets().get(0))
        + " admin=" + describe(admin.address()));
    out.flush();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutdown requested");
      try {
        server.shutdownGracefully(cfg.drainTimeout());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        admin.close();
        stopped.countDown();
      }
    }, "ext-proc-shutdown"));
    try {
      server.awaitTermination();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return ExitCode.OK;
  }

  /** The flags as the parser reads them: {@code --bind} first, so specific flags win. */
  private List<String> parserArgs() {
    List<String> args = new ArrayList<>();
    if (config != null) {
      args.add("--config=" + config);
    }
    if (bind != null) {
      args.add("--server.address=" + bind);
      args.add("--admin.address=" + bind);
    }
    for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
      String name = o.longestName();
      String key = name.substring(2);
      if (keys.containsKey(key) || name.equals("--address") || name.equals("--port")
          || name.equals("--admin-port")) {
        args.add(name + "=" + o.getValue());
      }
    }
    return args;
  }

  private static String describe(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }
}
