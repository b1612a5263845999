package io.meshtrace.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.context.config.ConfigValueTable;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared table of duration and host verdicts, against xds-server's value syntax. */
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
}
