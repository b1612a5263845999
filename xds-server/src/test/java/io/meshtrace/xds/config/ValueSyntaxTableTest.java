package io.meshtrace.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.context.config.ConfigValueTable;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shared table of duration, host and header value verdicts, against xds-server's value
 * syntax and the collector header reader.
 */
class ValueSyntaxTableTest {

  private static final List<ConfigValueTable> ROWS = ConfigValueTable.fromClasspath();

  @Test
  void durations_sameVerdictsAsEveryModule() {
    assertThat(ConfigValueTable.of(ROWS, "duration")).isNotEmpty().allSatisfy(r -> {
      Duration d = ValueSyntax.parseDuration(r.input());
      assertThat(d).as(r.toString()).isEqualTo(r.valid() ? Duration.ofMillis(r.millis()) : null);
    });
  }

  @Test
  void hosts_sameVerdictsAsEveryModule() {
    assertThat(ConfigValueTable.of(ROWS, "host")).isNotEmpty().allSatisfy(r ->
        assertThat(ValueSyntax.isHost(r.input())).as(r.toString()).isEqualTo(r.valid()));
  }

  @Test
  void headerValues_sameVerdictsAsEveryModule() {
    assertThat(ConfigValueTable.of(ROWS, "header")).isNotEmpty().allSatisfy(r -> {
      String yaml = io.meshtrace.xds.TestMesh.yaml("""
          extensionProviders:
            - name: otel
              opentelemetry:
                service: otel
                port: 4318
                http:
                  headers: [{name: x-tenant, value: "%s"}]
          """.formatted(yamlEscaped(r.input())), io.meshtrace.xds.TestMesh.TRACING
              .replace("zipkin", "otel"), io.meshtrace.xds.TestMesh.SERVICES);
      List<String> problems = io.meshtrace.xds.TestMesh.problems(yaml);
      assertThat(problems.stream().noneMatch(p -> p.contains("headers[0]")))
          .as(r + " " + problems).isEqualTo(r.valid());
    });
  }

  /** The input inside a YAML double-quoted string. */
  private static String yamlEscaped(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
