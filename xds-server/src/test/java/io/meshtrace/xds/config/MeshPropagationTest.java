package io.meshtrace.xds.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.xds.config.MeshPropagation.Format;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MeshPropagationTest {

  @ParameterizedTest
  @CsvSource({
      "1.18.0.124, B3",
      "1.18.0.123, B3",
      "1.18.0.125, W3C",
      "1.18, B3",
      "1.18.0, B3",
      "1.18.1, W3C",
      "1.17.9.999, B3",
      "1.19, W3C",
      "1.22.3, W3C",
      "v1.18.0.124, B3",
      "V1.20.0.1, W3C",
      "1, B3",
      "2, W3C",
      "1.18.0.124.0, B3",
      "1.18.0.124.1, W3C",
  })
  void defaultFor_versionAroundBoundary_picksFormat(String version, Format expected) {
    assertThat(MeshPropagation.defaultFor(version)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "1..18", "1.18-asm", "latest", "1.x", ".1", "1.", "v"})
  void defaultFor_notADottedVersion_throws(String version) {
    assertThat(MeshPropagation.isValidVersion(version)).isFalse();
    assertThatThrownBy(() -> MeshPropagation.defaultFor(version))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"b3, B3", "B3, B3", "w3c, W3C", "W3C, W3C", "tracecontext, W3C"})
  void parse_knownNames_returnsFormat(String name, Format expected) {
    assertThat(MeshPropagation.parse(name)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"jaeger", "b3multi", "", "zipkin"})
  void parse_unknownName_throws(String name) {
    assertThatThrownBy(() -> MeshPropagation.parse(name))
        .hasMessageContaining("b3, w3c");
  }
}
