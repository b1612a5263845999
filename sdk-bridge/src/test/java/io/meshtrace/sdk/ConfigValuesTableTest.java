package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.context.config.ConfigValueTable;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shared table of duration and header-value verdicts, against sdk-bridge's tools'
 * durations and the extension's header lists.
 */
class ConfigValuesTableTest {

  private static final List<ConfigValueTable> ROWS = ConfigValueTable.fromClasspath();

  @Test
  void durations_sameVerdictsAsEveryModule() {
    assertThat(ConfigValueTable.of(ROWS, "duration")).isNotEmpty().allSatisfy(r -> {
      if (r.valid()) {
        assertThat(MeshSettings.parseDuration("--lookback", r.input())).as(r.toString())
            .isEqualTo(Duration.ofMillis(r.millis()));
      } else {
        assertThatThrownBy(() -> MeshSettings.parseDuration("--lookback", r.input()))
            .as(r.toString()).isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("--lookback=");
      }
    });
  }

  @Test
  void headerValues_sameVerdictsAsEveryModule() {
    assertThat(ConfigValueTable.of(ROWS, "header")).isNotEmpty().allSatisfy(r -> {
      assertThat(MeshOptions.isHeaderValue(r.input())).as(r.toString()).isEqualTo(r.valid());
      if (!r.input().isEmpty() && r.input().trim().equals(r.input())) {
        // Through the key an operator sets: otel.exporter.otlp.headers=name=value (OpenTelemetry
        // trims entries, so only values without surrounding control characters).
        var config = DefaultConfigProperties.createFromMap(
            Map.of("otel.exporter.otlp.headers", "x-token=" + r.input()));
        if (r.valid()) {
          assertThat(MeshOptions.headers(config, "otel.exporter.otlp.headers"))
              .as(r.toString()).containsEntry("x-token", r.input());
        } else {
          assertThatThrownBy(() -> MeshOptions.headers(config, "otel.exporter.otlp.headers"))
              .as(r.toString()).isInstanceOf(ConfigurationException.class);
        }
      }
    });
  }
}
