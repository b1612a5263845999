package io.meshtrace.xds.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshtrace.xds.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Header values and tokens by value or reference: resolution, problems and redaction. */
class SecretConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "Bearer s3cr3t-value-9";
  private static final LocalSecrets ENV = new LocalSecrets(Map.of("OTLP_TOKEN", SECRET,
      "EMPTY", ""));

  @TempDir
  Path dir;

  private static String mesh(String header) {
    return TestMesh.yaml("""
        extensionProviders:
          - name: otel
            opentelemetry:
              service: otel-collector.observability
              port: 4318
              http:
                headers:
                  - %s
        """.formatted(header), TestMesh.TRACING, TestMesh.SERVICES);
  }

  private List<String> problems(String header) {
    try {
      ConfigParser.parse(mesh(header), dir, ENV);
      return List.of();
    } catch (ConfigException e) {
      return e.errors();
    }
  }

  private static final String AT = "extensionProviders[0].opentelemetry.http.headers[0].";

  @Test
  void envNameAndFile_resolved_referenceKept() throws Exception {
    Files.writeString(dir.resolve("token"), SECRET + "\r\n");
    MeshConfig env = ConfigParser.parse(mesh("{name: authorization, envName: OTLP_TOKEN}"), dir,
        ENV);
    MeshConfig file = ConfigParser.parse(mesh("{name: authorization, file: token}"), dir, ENV);
    assertThat(Header.sentBy(env.provider("otel"))).containsExactly(
        new Header("authorization", SECRET, SecretRef.env("OTLP_TOKEN")));
    assertThat(Header.sentBy(file.provider("otel"))).containsExactly(
        new Header("authorization", SECRET, SecretRef.file("token")));
    assertThat(env.toString()).doesNotContain(SECRET).contains("envName: OTLP_TOKEN");
    assertThat(Redaction.of(env).scrub("x " + SECRET + " y")).isEqualTo("x <redacted> y");
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("{name: authorization, envName: NOT_SET}",
            AT + "envName=NOT_SET: environment variable NOT_SET is not set"),
        Arguments.of("{name: authorization, envName: EMPTY}",
            AT + "envName=EMPTY: its value must not be empty"),
        Arguments.of("{name: authorization, file: absent}",
            AT + "file=absent: cannot read "),
        Arguments.of("{name: authorization, value: a, envName: OTLP_TOKEN}",
            AT.substring(0, AT.length() - 1) + "=[value, envName]: set exactly one of value,"
                + " envName, file, secretKeyRef"),
        Arguments.of("{name: authorization}",
            AT.substring(0, AT.length() - 1) + "=(none): set exactly one of"),
        // Sensitive literals and anything under a misspelt key never appear in a problem.
        Arguments.of("{name: authorization, value: \"" + SECRET + "\\n\"}",
            AT + "value=(hidden): must not contain control characters"),
        Arguments.of("{name: x-tenant, valu: \"" + SECRET + "\"}",
            AT + "valu=(hidden): unknown key"),
        Arguments.of("{name: authorization, value: {a: \"" + SECRET + "\"}}",
            AT + "value=(hidden): must be a string"));
  }

  @ParameterizedTest
  @MethodSource("refused")
  void reference_refused_problemNamesFieldAndReferenceNeverValue(String header, String problem) {
    List<String> p = problems(header);
    assertThat(p).anyMatch(x -> x.startsWith(problem));
    assertThat(String.join("\n", p)).doesNotContain(SECRET).doesNotContain("s3cr3t");
  }

  @Test
  void headersNotAList_hidden() {
    String yaml = mesh("x").replaceAll("headers:\\s+- x",
        "headers: {name: authorization, value: \"" + SECRET + "\"}");
    assertThatThrownBy(() -> ConfigParser.parse(yaml, dir, ENV))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
            .singleElement().asString().startsWith(
                "extensionProviders[0].opentelemetry.http.headers=(hidden): must be a list")
            .doesNotContain(SECRET));
  }

  @Test
  void skyWalking_accessTokenFrom_resolved_bothKeysRefused() throws Exception {
    String sw = """
        extensionProviders:
          - name: sw
            skywalking:
              service: 10.1.2.3
              port: 11800
              %s
        tracing:
          - providers: [{name: sw}]
        """;
    MeshConfig c = ConfigParser.parse(sw.formatted("accessTokenFrom: {envName: OTLP_TOKEN}")
        + TestMesh.SERVICES, dir, ENV);
    MeshConfig.SkyWalking s = (MeshConfig.SkyWalking) c.provider("sw");
    assertThat(s.accessToken()).isEqualTo(SECRET);
    assertThat(s.accessTokenSource()).isEqualTo(SecretRef.env("OTLP_TOKEN"));
    assertThat(s.toString()).doesNotContain(SECRET);
    assertThatThrownBy(() -> ConfigParser.parse(sw.formatted(
        "{accessToken: \"" + SECRET + "\", accessTokenFrom: {envName: OTLP_TOKEN}}")
        .replace("              {", "              ").replace("}}\n", "}\n"), dir, ENV))
        .isInstanceOf(ConfigException.class);
  }

  @ParameterizedTest
  @CsvSource({"authorization,true", "Proxy-Authorization,true", "x-api-key,true",
      "x-auth-token,true", "cookie,true", "x-client-secret,true", "x-tenant,false",
      "x-scope-orgid,false", "lightstep-access-token,true", "dd-api-key,true"})
  void sensitiveName_table(String name, boolean sensitive) {
    assertThat(Redaction.sensitiveName(name)).isEqualTo(sensitive);
  }

  @Test
  void document_redactsSensitiveLiteralsAndTokens_restorePutsStoredBack() throws Exception {
    JsonNode stored = JSON.readTree("""
        {"extensionProviders": [
          {"name": "otel", "opentelemetry": {"http": {"headers": [
            {"name": "authorization", "value": "Bearer one"},
            {"name": "x-tenant", "value": "books"},
            {"name": "x-api-key", "envName": "KEY"}]}}},
          {"name": "sw", "skywalking": {"accessToken": "tok-1234"}}]}
        """);
    JsonNode shown = Redaction.document(stored);
    assertThat(shown.toString()).doesNotContain("Bearer one").doesNotContain("tok-1234")
        .contains("\"value\":\"<redacted>\"").contains("\"value\":\"books\"")
        .contains("\"envName\":\"KEY\"");
    JsonNode back = shown.deepCopy();
    assertThat(Redaction.restore(back, stored)).isEmpty();
    assertThat(back).isEqualTo(stored);

    // Renamed provider: nothing stored under that name, so the marker cannot be kept.
    JsonNode renamed = JSON.readTree(shown.toString().replace("\"otel\"", "\"otel2\""));
    assertThat(Redaction.restore(renamed, stored)).singleElement().asString()
        .startsWith("extensionProviders[0].opentelemetry.http.headers[0].value=<redacted>:");
  }
}
