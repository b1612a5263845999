package io.meshtrace.sdk.proxy;

import io.meshtrace.cli.BuildVersion;
import io.meshtrace.cli.Cli;
import io.meshtrace.cli.LogOptions;
import io.meshtrace.cli.ExitCode;
import io.meshtrace.cli.ListenerBindException;
import io.meshtrace.sdk.check.PropagationCheck;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar external-proxy.jar [flags]} runs an {@link ExternalProxy} until SIGTERM;
 * {@code java -jar external-proxy.jar check-propagation ...} runs {@link PropagationCheck}.
 * Every flag may also be given as its system property ({@link ProxyConfig#FLAGS}); flags win.
 */
@Command(name = "external-proxy", mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class, sortOptions = false,
    description = {"An application outside the mesh calling into it through the gateway: starts "
        + "a root span per request, injects the mesh's trace headers and an x-request-id, "
        + "forwards to the gateway and reports the span.",
        "Every flag may also be set as its system property (e.g. -Dmeshtrace.proxy.gateway=URL);"
            + " flags win."})
final class ProxyCommand implements Callable<Integer>, Cli.ListenerFlags {

  private final PrintStream out;

  @Spec
  private CommandSpec spec;

  @Mixin
  LogOptions logs = new LogOptions();

  private ProxyCommand(PrintStream out) {
    this.out = out;
  }

  /** The command tree: the proxy's flags, and {@code check-propagation}. */
  static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new ProxyCommand(out));
    for (ProxyConfig.Flag flag : ProxyConfig.FLAGS) {
      cl.getCommandSpec().addOption(OptionSpec.builder(flag.name())
          .paramLabel(flag.label())
          .type(String.class)
          .description(flag.plainKey() ? flag.description() + " [" + flag.key() + "]"
              : flag.description())
          .build());
    }
    cl.addSubcommand(new PropagationCheck(out, err));
    return cl;
  }

  /** Flag values by flag name, as given. */
  static Map<String, String> values(CommandLine.ParseResult parsed) {
    Map<String, String> values = new LinkedHashMap<>();
    for (OptionSpec o : parsed.matchedOptions()) {
      if (o.longestName().startsWith("--") && o.getValue() instanceof String v) {
        values.put(o.longestName(), v);
      }
    }
    return values;
  }

  /** Entry point of {@code external-proxy.jar}. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.run(commandLine(out, err), out, err, args);
  }

  @Override
  public String flagFor(String service, String listener) {
    return "--port (meshtrace.proxy.port)";
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    ProxyConfig config;
    try {
      config = ProxyConfig.fromFlags(values(spec.commandLine().getParseResult()),
          ExternalProxy.environment());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    ExternalProxy proxy;
    try {
      proxy = ExternalProxy.start(config);
    } catch (IOException e) {
      throw ListenerBindException.of("external-proxy", "http", config.bind(), config.port(), e);
    }
    out.println("external-proxy listening on " + config.bind() + ":" + proxy.port()
        + ", forwarding to " + config.gateway());
    out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      proxy.close();
      stopped.countDown();
    }, "external-proxy-shutdown"));
    stopped.await();
    return ExitCode.OK;
  }
}
