package io.meshtrace.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class CliTest {

  @Command(name = "tool", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class)
  static final class Tool implements Callable<Integer>, Cli.ListenerFlags {
    @Option(names = "--port", paramLabel = "N")
    int port;

    @Option(names = "--fail", paramLabel = "WHAT")
    String fail;

    @Override
    public Integer call() throws IOException {
      if ("bind".equals(fail)) {
        throw ListenerBindException.of("tool", "admin", "127.0.0.1", port,
            new IOException("Failed to bind", new BindException("Address already in use")));
      }
      if ("io".equals(fail)) {
        throw new IOException("disk full");
      }
      return ExitCode.OK;
    }

    @Override
    public String flagFor(String service, String listener) {
      return service.equals("tool") && listener.equals("admin") ? "--port" : null;
    }
  }

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Cli.run(new CommandLine(new Tool()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), args);
  }

  @Test
  void helpAndVersion_exit0OnStandardOutput() {
    assertThat(run("--help")).isEqualTo(ExitCode.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("usage: tool");
    out.reset();
    assertThat(run("--version")).isEqualTo(ExitCode.OK);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith("tool " + BuildVersion.version() + " (Java ");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void usageErrors_exit2NamingTheFlag_bothValueForms() {
    assertThat(run("--port=1")).isEqualTo(ExitCode.OK);
    assertThat(run("--port", "x")).isEqualTo(ExitCode.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("tool: ")
        .contains("'--port'").contains("usage: tool");
    err.reset();
    assertThat(run("--prot", "1")).isEqualTo(ExitCode.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--prot").contains("--port");
  }

  @Test
  void failures_exit1OneLine_bindFailureNamesTheFlag() {
    assertThat(run("--port", "18001", "--fail", "bind")).isEqualTo(ExitCode.FAILURE);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("tool cannot listen on "
        + "127.0.0.1:18001 for its admin listener: Address already in use; choose another port "
        + "with --port" + System.lineSeparator());
    err.reset();
    assertThat(run("--fail", "io")).isEqualTo(ExitCode.FAILURE);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("tool: java.io.IOException: "
        + "disk full" + System.lineSeparator());
  }
}
