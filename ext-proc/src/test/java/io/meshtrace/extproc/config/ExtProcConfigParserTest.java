package io.meshtrace.extproc.config;

import io.meshtrace.context.config.ConfigProblemsException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.context.EdgeSampling;
import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.RepairPolicy;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExtProcConfigParserTest {

  @TempDir
  Path dir;

  @Test
  void defaults_matchTheDocumentedFile_andTheEnginesDefaults() throws Exception {
    String documented = Files.readString(Path.of("config/ext-proc.yaml"));
    try (InputStream bundled = getClass().getResourceAsStream(ExtProcConfigParser.DEFAULTS_RESOURCE)) {
      assertThat(new String(bundled.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(documented);
    }
    ExtProcConfig config = ExtProcConfigParser.defaults();
    assertThat(config.repairPolicy()).isEqualTo(RepairPolicy.defaults());
    assertThat(config.grpcAddress()).isEqualTo("127.0.0.1");
    assertThat(config.adminAddress()).isEqualTo("127.0.0.1");
    assertThat(config.grpcPort()).isEqualTo(18080);
    assertThat(config.adminPort()).isEqualTo(9902);
    assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.tls()).isNull();
    assertThat(config.markerHeader()).isEqualTo("x-meshtrace-repair");
    assertThat(config.maxConcurrentStreams()).isEqualTo(10_000);
    assertThat(config.maxHeaderBytes()).isEqualTo(98_304);
    assertThat(config.maxHeaders()).isEqualTo(500);
    assertThat(config.firstMessageTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.maxStreamsPerConnection()).isEqualTo(1_000);
    assertThat(config.maxUnsentBytesPerConnection()).isEqualTo(8L << 20);
    assertThat(config.streamIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void connectionLimits_areSet_andThePerConnectionStreamLimitNeverExceedsTheServerWideOne()
      throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--limits.max-streams-per-connection", "64",
        "--limits.max-unsent-bytes-per-connection", "65536", "--limits.stream-idle-timeout", "2m");
    assertThat(config.maxStreamsPerConnection()).isEqualTo(64);
    assertThat(config.maxUnsentBytesPerConnection()).isEqualTo(65_536);
    assertThat(config.streamIdleTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(ExtProcConfigParser.fromArgs("--limits.max-concurrent-streams", "50")
        .maxStreamsPerConnection()).isEqualTo(50);
  }

  @Test
  void yamlFile_thenFlags_overrideTheDefaults() throws Exception {
    Path file = dir.resolve("ext-proc.yaml");
    Files.writeString(file, """
        server:
          port: 7000
          drain-timeout: 1500ms
        repair:
          output-formats: [b3single, w3c]
          winner: w3c
          add-request-id: false
          edge-sampling: deny-forced
          tracestate-limit: 1024
          start-trace-when-absent: false
          new-trace-sampling-percent: 12.5
        marker:
          header: x-trace-fix
        limits:
          max-concurrent-streams: 50
        """);
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--config", file.toString(),
        "--port", "7001", "--admin-port=0", "--limits.max-headers", "64", "--address", "127.0.0.1");
    assertThat(config.grpcPort()).isEqualTo(7001);
    assertThat(config.grpcAddress()).isEqualTo("127.0.0.1");
    assertThat(config.adminPort()).isZero();
    assertThat(config.drainTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.repairPolicy()).isEqualTo(new RepairPolicy(
        EnumSet.of(PropagationFormat.W3C, PropagationFormat.B3_SINGLE), PropagationFormat.W3C,
        false, EdgeSampling.DENY_FORCED, 1024, false, 12.5));
    assertThat(config.markerHeader()).isEqualTo("x-trace-fix");
    assertThat(config.maxConcurrentStreams()).isEqualTo(50);
    assertThat(config.maxHeaders()).isEqualTo(64);
  }

  @Test
  void markerDisabled_hasNoHeader() throws Exception {
    assertThat(ExtProcConfigParser.fromArgs("--marker.enabled", "false").markerHeader()).isNull();
  }

  @Test
  void outputFormatsAsCommaList_onTheCommandLine() throws Exception {
    assertThat(ExtProcConfigParser.fromArgs("--repair.output-formats", "b3multi, b3single")
        .repairPolicy().outputFormats())
        .containsExactlyInAnyOrder(PropagationFormat.B3_MULTI, PropagationFormat.B3_SINGLE);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "server.port|70000|server.port=70000: must be an integer between 0 and 65535",
      "server.port|-1|server.port=-1: must be an integer between 0 and 65535",
      "admin.port|http|admin.port=http: must be an integer between 0 and 65535",
      "server.address|''|server.address=: must be an IP address or host name",
      "server.drain-timeout|10|server.drain-timeout=10: must be a duration",
      "server.drain-timeout|2h|server.drain-timeout=2h: must be a duration",
      "repair.output-formats|w3c,zipkin|repair.output-formats=w3c,zipkin: unknown format 'zipkin'",
      "repair.output-formats|''|repair.output-formats=: must name at least one of w3c, b3multi, b3single",
      "repair.winner|jaeger|repair.winner=jaeger: must be one of w3c, b3multi, b3single",
      "repair.add-request-id|yes|repair.add-request-id=yes: must be true or false",
      "repair.edge-sampling|distrust|repair.edge-sampling=distrust: must be one of trust, defer, deny-forced",
      "repair.tracestate-limit|100|repair.tracestate-limit=100: must be an integer between 512 and 1048576",
      "repair.start-trace-when-absent|1|repair.start-trace-when-absent=1: must be true or false",
      "repair.new-trace-sampling-percent|140|repair.new-trace-sampling-percent=140: must be a number between 0 and 100",
      "repair.new-trace-sampling-percent|-1|repair.new-trace-sampling-percent=-1: must be a number between 0 and 100",
      "repair.new-trace-sampling-percent|half|repair.new-trace-sampling-percent=half: must be a number between 0 and 100",
      "marker.enabled|on|marker.enabled=on: must be true or false",
      "marker.header|X-Repair|marker.header=X-Repair: must be a lower-case HTTP header name",
      "marker.header|x-envoy-repair|marker.header=x-envoy-repair: Envoy does not let ext_proc set",
      "marker.header|:path|marker.header=:path: must be a lower-case HTTP header name",
      "marker.header|host|marker.header=host: Envoy does not let ext_proc set",
      "marker.header|traceparent|marker.header=traceparent: is a trace context header",
      "limits.max-concurrent-streams|0|limits.max-concurrent-streams=0: must be an integer between 1 and 1000000",
      "limits.max-header-bytes|100|limits.max-header-bytes=100: must be an integer between 1024 and 16777216",
      "limits.max-headers|lots|limits.max-headers=lots: must be an integer between 1 and 100000",
      "limits.first-message-timeout|0s|limits.first-message-timeout=0s: must be longer than 0",
      "limits.first-message-timeout|soon|limits.first-message-timeout=soon: must be a duration",
      "limits.max-streams-per-connection|0|limits.max-streams-per-connection=0: must be an integer between 1 and 1000000",
      "limits.max-unsent-bytes-per-connection|1024|limits.max-unsent-bytes-per-connection=1024: must be an integer between 65536 and 1073741824",
      "limits.max-unsent-bytes-per-connection|8MiB|limits.max-unsent-bytes-per-connection=8MiB: must be an integer between 65536 and 1073741824",
      "limits.stream-idle-timeout|0ms|limits.stream-idle-timeout=0ms: must be longer than 0, e.g. 60s",
      "limits.stream-idle-timeout|forever|limits.stream-idle-timeout=forever: must be a duration",
      "tls.client-ca|/etc/ca.pem|tls.client-ca=/etc/ca.pem: needs tls.cert-chain and tls.private-key",
      "tls.cert-chain|/nonexistent/cert.pem|tls.private-key=: required when tls.cert-chain is set",
  })
  void badValue_isRejected_namingKeyValueAndExpectation(String key, String value, String message) {
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--" + key, value))
        .isInstanceOf(ConfigProblemsException.class)
        .satisfies(e -> assertThat(((ConfigProblemsException) e).problems())
            .anySatisfy(problem -> assertThat(problem).startsWith(message)));
  }

  @Test
  void badValueInYaml_isRejected_namingKeyAndValue() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "repair:\n  tracestate-limit: 140\nserver:\n  port: 99999\n");
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--config", file.toString()))
        .isInstanceOf(ConfigProblemsException.class)
        .satisfies(e -> assertThat(((ConfigProblemsException) e).problems()).containsExactly(
            "server.port=99999: must be an integer between 0 and 65535",
            "repair.tracestate-limit=140: must be an integer between 512 and 1048576"));
  }

  @Test
  void unknownKeys_areRejected() throws Exception {
    Path file = dir.resolve("typo.yaml");
    Files.writeString(file, "repair:\n  ouput-formats: [w3c]\nlogging:\n  level: debug\n");
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--config", file.toString()))
        .isInstanceOf(ConfigProblemsException.class)
        .satisfies(e -> assertThat(((ConfigProblemsException) e).problems())
            .anySatisfy(p -> assertThat(p).startsWith("repair.ouput-formats: unknown key"))
            .anySatisfy(p -> assertThat(p).startsWith("logging: unknown key")));
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--repair.winer", "w3c"))
        .hasMessageStartingWith("--repair.winer: unknown option");
  }

  @Test
  void unreadableOrMalformedFiles_areRejected() throws Exception {
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--config", dir.resolve("missing.yaml").toString()))
        .hasMessageContaining("missing.yaml: cannot read the file");
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "server:\n  port: [1\n");
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--config", broken.toString()))
        .hasMessageContaining("broken.yaml: not valid YAML");
    Path scalar = dir.resolve("scalar.yaml");
    Files.writeString(scalar, "just a string\n");
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--config", scalar.toString()))
        .hasMessageContaining("must be a YAML mapping");
  }

  @Test
  void flagsWithoutValue_orStrayArguments_areRejected() {
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--port"))
        .hasMessage("--port: needs a value");
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("serve"))
        .hasMessageStartingWith("serve: unexpected argument");
  }

  @Test
  void tls_needsReadableFiles_andBuildsWithClientCa() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n");
    Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n");
    Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--tls.cert-chain", cert.toString(),
        "--tls.private-key", key.toString(), "--tls.client-ca", ca.toString());
    assertThat(config.tls()).isEqualTo(new ExtProcConfig.Tls(cert, key, ca));
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--tls.cert-chain", cert.toString(),
        "--tls.private-key", dir.resolve("nope.pem").toString()))
        .hasMessageStartingWith("tls.private-key=" + dir.resolve("nope.pem")
            + ": must be a readable PEM file");
  }

  @Test
  void severalProblems_areAllReported() {
    assertThatThrownBy(() -> ExtProcConfigParser.fromArgs("--port", "x", "--repair.winner", "y"))
        .isInstanceOf(ConfigProblemsException.class)
        .satisfies(e -> assertThat(((ConfigProblemsException) e).problems()).hasSize(2));
  }
}
