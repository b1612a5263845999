package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MeshPropagationTest {

  private static final String KEY = "meshtrace.mesh.version";

  @ParameterizedTest
  @CsvSource({
      "1.18.0.124, b3multi",
      "1.18.0.123, b3multi",
      "1.18.0.125, w3c",
      "1.18, b3multi",
      "1.18.0, b3multi",
      "1.18.1, w3c",
      "1.17.9.999, b3multi",
      "1.19, w3c",
      "1.19.0.0, w3c",
      "1.22.3, w3c",
      "v1.18.0.124, b3multi",
      "V1.20.0.1, w3c",
      "1, b3multi",
      "1.0, b3multi",
      "2, w3c",
      "1.9.999.999, b3multi",
      "1.18.0.124.0, b3multi",
      "1.18.0.124.1, w3c",
      "' 1.18.0.124 ', b3multi",
  })
  void formatsFor_versionAroundBoundary_b3UpTo1_18_0_124_w3cAfter(String version,
      String expected) {
    assertThat(MeshPropagation.isVersion(version)).isTrue();
    assertThat(MeshPropagation.formatsFor(KEY, version))
        .containsExactly(PropagationFormat.fromConfigName(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "1..18", "1..2", "1.18-asm", "1.18.0-rc1", "latest", "1.x",
      ".1", "1.", "v", "vv1.18", "1 .18", "1.1234567890123456789"})
  void formatsFor_notDottedNumbers_rejectedNamingKeyAndValue(String version) {
    assertThat(MeshPropagation.isVersion(version)).isFalse();
    assertThatThrownBy(() -> MeshPropagation.formatsFor(KEY, version))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(KEY + "=" + version + ": must be a dotted numeric version such as 1.18.0.124");
  }

  @Test
  void formatsFor_null_rejectedNamingKey() {
    assertThat(MeshPropagation.isVersion(null)).isFalse();
    assertThatThrownBy(() -> MeshPropagation.formatsFor("meshVersion", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("meshVersion=null: must be a dotted numeric version such as 1.18.0.124");
  }

  @Test
  void formatsFor_longestParts_comparedWithoutOverflow() {
    assertThat(MeshPropagation.formatsFor(KEY, "1.18.0.123456789012345678"))
        .containsExactly(PropagationFormat.W3C);
    assertThat(MeshPropagation.formatsFor(KEY, "1.17.999999999999999999.0.1"))
        .containsExactly(PropagationFormat.B3_MULTI);
  }
}
