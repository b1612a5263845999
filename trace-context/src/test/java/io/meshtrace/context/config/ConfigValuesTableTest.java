package io.meshtrace.context.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigValuesTableTest {

  private static final List<ConfigValueTable> ROWS = ConfigValueTable.fromClasspath();

  @Test
  void durations_sharedTable() {
    assertThat(ConfigValueTable.of(ROWS, "duration")).hasSizeGreaterThan(10).allSatisfy(r -> {
      Duration d = ConfigDuration.parse(r.input());
      if (r.valid()) {
        assertThat(d).as(r.toString()).isEqualTo(Duration.ofMillis(r.millis()));
      } else {
        assertThat(d).as(r.toString()).isNull();
      }
    });
  }

  @Test
  void hosts_sharedTable() {
    assertThat(ConfigValueTable.of(ROWS, "host")).hasSizeGreaterThan(10).allSatisfy(r ->
        assertThat(HostName.isValid(r.input())).as(r.toString()).isEqualTo(r.valid()));
  }

  @Test
  void headerValues_sharedTable() {
    assertThat(ConfigValueTable.of(ROWS, "header")).hasSizeGreaterThan(5).allSatisfy(r ->
        assertThat(HeaderValue.isSafe(r.input())).as(r.toString()).isEqualTo(r.valid()));
  }

  @Test
  void duration_hugeValue_refusedNotWrapped() {
    assertThat(ConfigDuration.parse("99999999999999h")).isNull();
    assertThat(ConfigDuration.parse(null)).isNull();
  }

  @Test
  void problems_carriedInOrder_emptyRefused() {
    ConfigProblemsException e = new ConfigProblemsException(List.of("a=1: x", "b=2: y"));
    assertThat(e.problems()).containsExactly("a=1: x", "b=2: y");
    assertThat(e.getMessage()).isEqualTo("a=1: x\nb=2: y");
    assertThatThrownBy(() -> new ConfigProblemsException(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void traceHeaderNames_lowerCaseAndKnown() {
    assertThat(TraceHeaderNames.fields()).contains("traceparent", "b3", "x-b3-sampled",
        "x-request-id").allMatch(n -> n.equals(n.toLowerCase(java.util.Locale.ROOT)));
    assertThat(TraceHeaderNames.contains("x-b3-traceid")).isTrue();
    assertThat(TraceHeaderNames.contains("x-meshtrace-repair")).isFalse();
  }
}
