package io.meshtrace.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class LogOptionsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Logs one event of each kind a service writes, from a subcommand. */
  @Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class)
  static final class Serve implements Callable<Integer> {
    @Override
    public Integer call() {
      Logger log = LoggerFactory.getLogger("io.meshtrace.test.Serve");
      log.debug("debug line {}", 1);
      log.info("serving {} groups", 3);
      MDC.put("node", "sidecar~10.0.0.1");
      try {
        log.warn("forged\nline \"quoted\" \u001b[31m é");
      } finally {
        MDC.remove("node");
      }
      log.error("failed", new IOException("outer", deep(40)));
      java.util.logging.Logger.getLogger("io.grpc.Test").warning("from grpc");
      return ExitCode.OK;
    }

    private static Throwable deep(int depth) {
      return depth == 0 ? new IllegalStateException("root cause") : deep(depth - 1);
    }
  }

  @Command(name = "tool", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class)
  static final class Top implements Callable<Integer> {
    @Mixin
    LogOptions logs = new LogOptions();

    @Override
    public Integer call() {
      return ExitCode.OK;
    }
  }

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void defaults() {
    LogBackend.configure(LogOptions.Format.TEXT, LogOptions.Level.INFO);
  }

  /** Standard error of the command run with {@code args}, line by line. */
  private List<String> run(String... args) {
    PrintStream original = System.err;
    PrintStream capture = new PrintStream(err, true, StandardCharsets.UTF_8);
    System.setErr(capture);
    int code;
    try {
      code = Cli.run(new CommandLine(new Top()).addSubcommand(new Serve()),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), capture,
          args);
    } finally {
      System.setErr(original);
    }
    assertThat(code).isEqualTo(ExitCode.OK);
    return List.of(err.toString(StandardCharsets.UTF_8).split("\n"));
  }

  @Test
  void json_everyLineParses_fieldsMdcAndBoundedException() throws IOException {
    List<String> lines = run("serve", "--log-format", "json");
    List<JsonNode> events = new ArrayList<>();
    for (String line : lines) {
      events.add(JSON.readTree(line));
    }
    assertThat(events).hasSize(4);
    assertThat(events).allSatisfy(e -> {
      assertThat(e.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat(e.get("thread").asText()).isNotEmpty();
      assertThat(e.get("logger").asText()).isNotEmpty();
    });
    assertThat(events.get(0).get("level").asText()).isEqualTo("INFO");
    assertThat(events.get(0).get("logger").asText()).isEqualTo("io.meshtrace.test.Serve");
    assertThat(events.get(0).get("message").asText()).isEqualTo("serving 3 groups");
    assertThat(events.get(0).has("mdc")).isFalse();
    assertThat(events.get(1).get("message").asText())
        .isEqualTo("forged\nline \"quoted\" \u001b[31m é");
    assertThat(events.get(1).get("mdc").get("node").asText()).isEqualTo("sidecar~10.0.0.1");
    String exception = events.get(2).get("exception").asText();
    assertThat(exception).startsWith("java.io.IOException: outer\n\tat ")
        .contains("Caused by: java.lang.IllegalStateException: root cause")
        .contains(" more");
    assertThat(exception.length()).isLessThanOrEqualTo(LogLineEncoder.MAX_EXCEPTION_CHARS + 40);
    assertThat(events.get(3).get("logger").asText()).isEqualTo("io.grpc.Test");
    assertThat(events.get(3).get("level").asText()).isEqualTo("WARN");
  }

  @Test
  void text_oneLinePerEvent_controlCharactersEscaped() {
    List<String> lines = run("serve");
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).matches("\\S+Z INFO  \\[main\\] Serve - serving 3 groups");
    assertThat(lines.get(1)).contains("forged\\x0aline \"quoted\" \\x1b[31m é {node=sidecar~10.0.0.1}");
    assertThat(lines.get(2)).contains("ERROR").contains("failed | java.io.IOException: outer | at ")
        .contains("Caused by: java.lang.IllegalStateException: root cause");
  }

  @Test
  void level_debugShowsDebug_warnHidesInfo_flagOnParentOrSubcommand() {
    assertThat(run("--log-level", "debug", "serve")).hasSize(5)
        .anyMatch(l -> l.contains("DEBUG") && l.endsWith("debug line 1"));
    err.reset();
    assertThat(run("serve", "--log-level=WARN")).hasSize(3).noneMatch(l -> l.contains("INFO"));
  }

  @Test
  void badValues_usageErrorNamingTheFlag() {
    ByteArrayOutputStream usage = new ByteArrayOutputStream();
    PrintStream stream = new PrintStream(usage, true, StandardCharsets.UTF_8);
    int code = Cli.run(new CommandLine(new Top()).addSubcommand(new Serve()), stream, stream,
        "serve", "--log-format", "xml");
    assertThat(code).isEqualTo(ExitCode.USAGE);
    assertThat(usage.toString(StandardCharsets.UTF_8)).contains("--log-format")
        .contains("xml").contains("TEXT, JSON");
  }
}
