package io.meshtrace.xds.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.xds.config.MeshConfig.Propagation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The version rule itself is tested with trace-context's {@code MeshPropagationTest}. */
class MeshConfigPropagationTest {

  @ParameterizedTest
  @CsvSource({"b3, B3", "B3, B3", "w3c, W3C", "W3C, W3C", "tracecontext, W3C"})
  void parse_knownNames_returnsFormat(String name, Propagation expected) {
    assertThat(Propagation.parse(name)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"jaeger", "b3multi", "", "zipkin"})
  void parse_unknownName_throws(String name) {
    assertThatThrownBy(() -> Propagation.parse(name))
        .hasMessageContaining("b3, w3c");
  }

  @ParameterizedTest
  @CsvSource({"1.18.0.124, B3", "v1.18, B3", "1.18.0.125, W3C", "1.19, W3C"})
  void forMeshVersion_aroundBoundary_followsMeshRule(String version, Propagation expected) {
    assertThat(Propagation.forMeshVersion(version)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"latest", "1..18", ""})
  void forMeshVersion_notADottedVersion_throwsNamingKey(String version) {
    assertThatThrownBy(() -> Propagation.forMeshVersion(version))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("meshVersion=" + version + ": ");
  }
}
