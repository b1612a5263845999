package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code xds-server serve --log-format json} in a child process: every line on standard error is
 * one JSON object, and the first says what is served.
 */
class ServeLogTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  /** Standard error of {@code serve} with {@code flags}, once it printed its listening line. */
  private List<String> serveLog(String... flags) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "serve", "--port", "0", "--admin-port", "0"));
    command.addAll(List.of(flags));
    Path err = dir.resolve("stderr-" + System.nanoTime());
    Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertThat(line).as("listening line").startsWith("xds-server listening ads=127.0.0.1:");
    } finally {
      p.destroy();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
    }
    return Files.readAllLines(err, StandardCharsets.UTF_8);
  }

  @Test
  void serve_json_everyLineParses_firstSaysWhatIsServed() throws Exception {
    List<String> lines = serveLog("--log-format", "json");
    assertThat(lines).isNotEmpty();
    List<JsonNode> events = new ArrayList<>();
    for (String line : lines) {
      events.add(JSON.readTree(line));
    }
    assertThat(events).allSatisfy(e -> assertThat(e.fieldNames()).toIterable()
        .contains("timestamp", "level", "logger", "thread", "message"));
    assertThat(events).noneMatch(e -> e.get("level").asText().equals("DEBUG"));
    JsonNode serving = events.stream()
        .filter(e -> e.get("message").asText().contains(" serving ")).findFirst().orElseThrow();
    assertThat(serving.get("level").asText()).isEqualTo("INFO");
    assertThat(serving.get("message").asText())
        .startsWith("xds-server " + io.meshtrace.cli.BuildVersion.version()
            + " serving bundled config (content ")
        .contains("meshVersion ").contains("providers [").contains("sidecar/productpage")
        .contains("zipkin (Zipkin ");
  }

  @Test
  void serve_debugLevel_showsDebugLines_text() throws Exception {
    List<String> lines = serveLog("--log-level=debug");
    assertThat(lines).anyMatch(l -> l.contains(" DEBUG "));
    assertThat(lines).anyMatch(l -> l.contains(" INFO  [main] ServeCommand - xds-server "));
  }
}
