package io.meshtrace.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the admin API writes back to the config file reads back as the same string, values that
 * Jackson's own quoting rules left plain included.
 */
class YamlQuotingTest {

  @ParameterizedTest
  @ValueSource(strings = {"0x1f", "0o17", "017", "1_000", "+12", ".inf", "-.Inf", ".NaN",
      "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "=", "a\u0085b",
      "a\u2028b", "a\u2029b", "\ufeffx", "a\u001bb", "a\u0000b", "yes", "Off", "~",
      "null", "1.10", "#x", "a: b", "- a", "plain-text", "n\u00f6d\u00e9-\ud83d\ude80"})
  void writeYaml_stringValue_readsBackTheSameString(String value) throws Exception {
    ObjectNode tree = JsonNodeFactory.instance.objectNode();
    tree.put("meshVersion", value);
    String yaml = ConfigText.writeYaml(tree);
    assertThat(ConfigText.readYaml(yaml).path("meshVersion").isTextual()).as(yaml).isTrue();
    assertThat(ConfigText.readYaml(yaml).path("meshVersion").asText()).as(yaml)
        .isEqualTo(value);
  }
}
