package io.meshtrace.extproc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.context.config.ConfigProblemsException;
import io.meshtrace.context.config.ConfigValueTable;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared table of duration and host verdicts, through ext-proc's flags. */
class ConfigValuesTableTest {

  private static final List<ConfigValueTable> ROWS = ConfigValueTable.fromClasspath();

  private static boolean accepted(String flag, String value) {
    try {
      ExtProcConfigParser.fromArgs(flag + "=" + value);
      return true;
    } catch (ConfigProblemsException e) {
      assertThat(e.problems()).singleElement().asString().startsWith(flag.substring(2) + "=");
      return false;
    }
  }

  @Test
  void durations_sameVerdictsAsEveryModule() throws ConfigProblemsException {
    assertThat(ConfigValueTable.of(ROWS, "duration")).isNotEmpty().allSatisfy(r -> {
      assertThat(accepted("--server.drain-timeout", r.input())).as(r.toString())
          .isEqualTo(r.valid());
    });
    for (ConfigValueTable r : ConfigValueTable.of(ROWS, "duration")) {
      if (r.valid()) {
        assertThat(ExtProcConfigParser.fromArgs("--server.drain-timeout=" + r.input())
            .drainTimeout()).as(r.toString()).isEqualTo(Duration.ofMillis(r.millis()));
      }
    }
  }

  @Test
  void hosts_sameVerdictsAsEveryModule() {
    assertThat(ConfigValueTable.of(ROWS, "host")).isNotEmpty().allSatisfy(r ->
        assertThat(accepted("--server.address", r.input())).as(r.toString())
            .isEqualTo(r.valid()));
  }
}
