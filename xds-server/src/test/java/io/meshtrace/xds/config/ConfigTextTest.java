package io.meshtrace.xds.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigTextTest {

  private static String problem(ThrowingRead read) {
    try {
      read.run();
    } catch (ConfigException e) {
      assertThat(e.errors()).hasSize(1);
      return e.errors().get(0);
    }
    throw new AssertionError("no problem reported");
  }

  private interface ThrowingRead {
    void run() throws ConfigException;
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"", "\n\n", "# only a comment\n", "---\n", "---\n# comment\n", "~\n",
      "--- \n...\n"})
  void readYaml_emptyCommentOrDocumentMarkerOnly_noMesh(String text) {
    assertThat(problem(() -> ConfigText.readYaml(text)))
        .isEqualTo("yaml: the file holds no mesh: it is empty or only comments or ---;"
            + " a mesh without services is written `services: []`");
  }

  static Stream<Arguments> strictYaml() {
    return Stream.of(
        Arguments.of("duplicate key", """
            services:
              - name: reviews
                ports: [{number: 9080}]
                name: ratings
            """, "yaml: line 4, column 5: services[0].name: duplicate key (first on line 2)"),
        Arguments.of("duplicate top-level key", """
            tracing: []
            services: []
            tracing: [{randomSamplingPercentage: 5}]
            """, "yaml: line 3, column 1: tracing: duplicate key (first on line 1)"),
        Arguments.of("duplicate key in a flow mapping", "services: [{name: a, name: b}]\n",
            "yaml: line 1, column 22: services[0].name: duplicate key (first on line 1)"),
        Arguments.of("second document", """
            services: []
            ---
            services: [{name: reviews}]
            """, "yaml: line 3, column 1: a second document starts here; the config is one"
            + " YAML document"),
        Arguments.of("empty second document", "services: []\n---\n",
            "yaml: line 3, column 1: a second document starts here; the config is one YAML"
            + " document"),
        Arguments.of("anchor and alias", """
            services: []
            tracing:
              - customTags:
                  a: {literal: {value: &v bookinfo}}
                  b: {literal: {value: *v}}
            """, "yaml: line 5, column 28: tracing[0].customTags.b.literal.value: alias *v:"
            + " anchors and aliases are not supported; write the value out"),
        Arguments.of("anchor on a list", "services: &none []\n",
            "yaml: line 1, column 11: services: anchor &none: anchors and aliases are not"
            + " supported; write the value out"),
        Arguments.of("anchor on a mapping", """
            services:
              - &svc
                name: reviews
            """, "yaml: line 2, column 5: services[0]: anchor &svc: anchors and aliases are not"
            + " supported; write the value out"),
        Arguments.of("merge key", """
            services: []
            tracing:
              - <<: *rule
            """, "yaml: line 3, column 9: tracing[0].<<: alias *rule: anchors and aliases are"
            + " not supported; write the value out"),
        Arguments.of("local tag", "services: !Ref list\n",
            "yaml: line 1, column 11: services: tag !Ref is not supported"),
        Arguments.of("binary", "services: !!binary aGVsbG8=\n",
            "yaml: line 1, column 11: services: tag !tag:yaml.org,2002:binary is not supported"),
        Arguments.of("syntax error", "services: [\n",
            "yaml: line 2, column 1: while parsing a flow node: expected the node content, but"
            + " found '<stream end>'"),
        Arguments.of("nesting", "services: " + "[".repeat(200) + "]".repeat(200) + "\n",
            "yaml: line 1, column 74: Document nesting depth (65) exceeds the maximum allowed"
            + " (64, from `StreamReadConstraints.getMaxNestingDepth()`)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strictYaml")
  void readYaml_looseYaml_refusedNamingLineAndPath(String name, String text, String expected) {
    assertThat(problem(() -> ConfigText.readYaml(text))).as(name).isEqualTo(expected);
  }

  @Test
  void readYaml_notUtf8_refused() {
    byte[] latin1 = "services: [{name: caf\u00e9}]\n".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(problem(() -> ConfigText.readYaml(latin1)))
        .isEqualTo("yaml: the file is not UTF-8 text");
  }

  @Test
  void readYaml_atLimitRead_overLimitRefused() throws Exception {
    StringBuilder text = new StringBuilder("services: []\n");
    String line = "# " + "x".repeat(77) + "\n";
    while (text.length() + line.length() <= ConfigText.MAX_BYTES) {
      text.append(line);
    }
    text.append("#".repeat(ConfigText.MAX_BYTES - text.length() - 1)).append('\n');
    String atLimit = text.toString();
    assertThat(atLimit.getBytes(StandardCharsets.UTF_8)).hasSize(ConfigText.MAX_BYTES);
    assertThat(ConfigText.readYaml(atLimit).get("services").isArray()).isTrue();
    // Two-byte characters: the limit is in bytes, not characters.
    String over = atLimit.substring(0, ConfigText.MAX_BYTES - 2) + "\u00e9\n";
    assertThat(problem(() -> ConfigText.readYaml(over))).isEqualTo("yaml: the config is "
        + (ConfigText.MAX_BYTES + 1) + " bytes; the limit is 4194304 bytes (4 MiB)");
  }

  @Test
  void readYaml_lineOverLimit_refusedBeforeParsing() {
    String text = "services: []\n# ok\ntracing: [{customTags: {a: {literal: {value: "
        + "x".repeat(ConfigText.MAX_LINE_CHARS) + "}}}}]\n";
    long start = System.nanoTime();
    assertThat(problem(() -> ConfigText.readYaml(text))).isEqualTo("yaml: line 3 is "
        + (ConfigText.MAX_LINE_CHARS + 50) + " characters long; the limit is 65536");
    assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
  }

  static Stream<Arguments> strictJson() {
    return Stream.of(
        Arguments.of("two documents", "{\"tracing\": []} {\"tracing\": []}",
            "json: line 1, column 17: data after the JSON value; send one JSON object"),
        Arguments.of("trailing text", "{\"tracing\": []}\nxyz",
            "json: line 2, column 1: Unrecognized token 'xyz': was expecting (JSON String,"
            + " Number, Array, Object or token 'null', 'true' or 'false')"),
        Arguments.of("trailing comma", "{\"tracing\": []},",
            "json: line 1, column 16: Unexpected character (',' (code 44)): expected a value"),
        Arguments.of("duplicate key", "{\"tracing\": [],\n \"tracing\": [{}]}",
            "json: line 2, column 2: tracing: duplicate key (first on line 1)"),
        Arguments.of("empty", "", "json: the body is empty; send a JSON object"),
        Arguments.of("not closed", "{\"tracing\": [",
            "json: line 1, column 14: Unexpected end-of-input: expected close marker for Array"
            + " (start marker at [line: 1, column: 13])"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strictJson")
  void readJson_notExactlyOneValue_refused(String name, String body, String expected) {
    assertThat(problem(() -> ConfigText.readJson(body))).as(name).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"1.10", "0x1F", "1_000", "1e3", ".inf", "+1", "0b101", "yes", "on",
      "null", "~", "", "true", "#x", "a: b", "- x", "*x", "&x", "!x", "@x", "`x", "%x", "---",
      "a\nb", " x", "x ", "caf\u00e9", "\u2028", "'", "\"", "2026-01-01", "1:30",
      "a  b   c", "tab\tin", "long words and  double  spaces in a value longer than eighty"
      + " characters, so that the writer folds it over lines: does it read back the same?"})
  void writeYaml_trickyStrings_readBackEqual(String value) throws Exception {
    ObjectNode tree = JsonNodeFactory.instance.objectNode();
    tree.put("value", value);
    tree.put(value.isEmpty() ? "empty" : value, 1);
    tree.putArray("list").add(value).add(1.10).add(5);
    JsonNode back = ConfigText.readYaml(ConfigText.writeYaml(tree));
    assertThat(back).isEqualTo(tree);
  }

  @Test
  void sizeProblem_withinAndOver() {
    assertThat(ConfigText.sizeProblem(ConfigText.MAX_BYTES)).isNull();
    assertThat(ConfigText.sizeProblem(ConfigText.MAX_BYTES + 1L))
        .isEqualTo("is 4194305 bytes; the limit is 4194304 bytes (4 MiB)");
  }

  @Test
  void readYaml_errorMessage_boundedAndWithoutSourceExcerpt() {
    String secretLine = "services: [{name: \"" + "s".repeat(500) + "\" ";
    String p = problem(() -> ConfigText.readYaml(secretLine));
    assertThat(p).hasSizeLessThan(260).doesNotContain("sssssssssss");
  }
}
