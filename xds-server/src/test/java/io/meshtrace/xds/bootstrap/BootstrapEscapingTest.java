package io.meshtrace.xds.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.meshtrace.xds.snapshot.NodeRole;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whatever the node id and cluster hold, the bootstrap stays one YAML document with the same
 * keys and a comment header of the same lines: read back by a YAML parser the values are
 * equal, and bash reads the command line in the header back into the same arguments.
 */
class BootstrapEscapingTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static Stream<Arguments> values() {
    return Stream.of(
        Arguments.of("plain", "meshtrace-gateway"),
        Arguments.of("hash starts a comment", "#id"),
        Arguments.of("space hash", "a #b: c"),
        Arguments.of("colon space", "key: value"),
        Arguments.of("dash space", "- item"),
        Arguments.of("document start", "---"),
        Arguments.of("document end", "..."),
        Arguments.of("newline injecting a key", "x\nadmin: {address: 0.0.0.0}"),
        Arguments.of("newline injecting a comment end", "x\n# y\nz: 1"),
        Arguments.of("carriage return", "a\rb"),
        Arguments.of("CRLF", "a\r\nb"),
        Arguments.of("tab", "a\tb"),
        Arguments.of("NEL, a YAML line break", "a\u0085b"),
        Arguments.of("line separator", "a\u2028b"),
        Arguments.of("paragraph separator", "a\u2029b"),
        Arguments.of("byte order mark", "\ufeffid"),
        Arguments.of("escape character", "a\u001b[31mred"),
        Arguments.of("double quotes", "\"quoted\""),
        Arguments.of("single quotes", "it's"),
        Arguments.of("backslash", "a\\nb"),
        Arguments.of("yaml boolean", "yes"),
        Arguments.of("yaml null", "null"),
        Arguments.of("tilde", "~"),
        Arguments.of("number", "0x1f"),
        Arguments.of("flow mapping", "{a: b}"),
        Arguments.of("flow list", "[a, b]"),
        Arguments.of("anchor", "&a"),
        Arguments.of("alias", "*a"),
        Arguments.of("tag", "!!binary x"),
        Arguments.of("percent directive", "%YAML 1.2"),
        Arguments.of("shell expansion", "$(rm -rf /)`id`"),
        Arguments.of("leading and trailing space", " id "),
        Arguments.of("unicode", "n\u00f6d\u00e9-\u65e5\u672c-\ud83d\ude80"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("values")
  void yaml_anyNodeIdAndCluster_readBackEqual_headerIntact(String name, String value)
      throws Exception {
    EnvoyBootstrap.Options o = new EnvoyBootstrap.Options(value, value + "-c", NodeRole.SIDECAR,
        "xds-server.meshtrace.svc", 18000, 15000, true, EnvoyBootstrap.tls("/etc/tls/ca.crt",
            "/etc/tls/tls.crt", "/etc/tls/tls.key", null));
    String yaml = EnvoyBootstrap.yaml(o);

    JsonNode tree = YAML.readTree(yaml);
    assertThat(tree.path("node").path("id").asText()).isEqualTo(value);
    assertThat(tree.path("node").path("cluster").asText()).isEqualTo(value + "-c");
    assertThat(iterable(tree.fieldNames())).containsExactly("node", "static_resources",
        "dynamic_resources", "admin");
    assertThat(tree.path("admin").path("address").path("socket_address").path("address")
        .asText()).isEqualTo("127.0.0.1");
    Bootstrap b = EnvoyBootstrap.parse(yaml);
    assertThat(b).isEqualTo(EnvoyBootstrap.proto(o));
    assertThat(EnvoyBootstrap.check(b)).isEmpty();

    List<String> header = header(yaml);
    assertThat(header).hasSameSizeAs(header(EnvoyBootstrap.yaml(new EnvoyBootstrap.Options(
        "n", "c", NodeRole.SIDECAR, "xds-server.meshtrace.svc", 18000, 15000, true,
        o.tls()))));
    String command = header.stream().filter(l -> l.startsWith("# Generated, do not edit: "))
        .findFirst().orElseThrow().substring("# Generated, do not edit: ".length());
    assertThat(command).doesNotContain("\n", "\r", "\u0085", "\u2028", "\u2029", "\ufeff");
    assertThat(bashWords(command)).containsExactly("xds-server", "bootstrap",
        "--node-id", value, "--cluster", value + "-c", "--role", "sidecar",
        "--xds-host", "xds-server.meshtrace.svc", "--xds-port", "18000", "--admin-port",
        "15000", "--delta", "--xds-tls-ca", "/etc/tls/ca.crt", "--xds-tls-cert",
        "/etc/tls/tls.crt", "--xds-tls-key", "/etc/tls/tls.key");
  }

  /** The comment lines before the document, split where YAML breaks lines. */
  private static List<String> header(String yaml) {
    List<String> out = new ArrayList<>();
    for (String line : yaml.split("\r\n|[\r\n\u0085\u2028\u2029]")) {
      if (!line.startsWith("#")) {
        break;
      }
      out.add(line);
    }
    return out;
  }

  /** The words bash reads from {@code command}, without running it. */
  private static List<String> bashWords(String command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "printf '%s\\0' " + command)
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("LC_ALL", "C.UTF-8");
    Process p = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    String s = out.toString(StandardCharsets.UTF_8);
    return List.of(s.substring(0, s.length() - 1).split("\0", -1));
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
