package io.meshtrace.sdk.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.context.PropagationFormat;
import io.meshtrace.sdk.ExportProtocol;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProxyConfigTest {

  @Test
  void parse_onlyGateway_defaults() {
    ProxyConfig config = ProxyConfig.parse(new String[] {"--gateway", "http://ingress:80"}, key -> null);
    assertThat(config.port()).isEqualTo(8080);
    assertThat(config.bind()).isEqualTo("127.0.0.1");
    assertThat(config.gateway()).isEqualTo(URI.create("http://ingress:80"));
    assertThat(config.upstreamTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.mesh().serviceName()).isEqualTo("external-proxy");
    assertThat(config.mesh().propagation()).containsExactly(PropagationFormat.B3_MULTI);
    assertThat(config.mesh().exporter().protocol()).isEqualTo(ExportProtocol.ZIPKIN_JSON);
  }

  @Test
  void parse_flagsWinOverSystemProperties_meshVersionPicksPropagation() {
    Map<String, String> properties = Map.of(
        "meshtrace.proxy.gateway", "http://from-property:80",
        "meshtrace.proxy.port", "9000",
        "meshtrace.exporter", "otlp-grpc");
    ProxyConfig config = ProxyConfig.parse(new String[] {"--port=0", "--mesh-version", "1.20.1",
        "--endpoint", "http://collector:4317", "--exporter-headers", "authorization=Bearer t"}, properties::get);
    assertThat(config.gateway()).isEqualTo(URI.create("http://from-property:80"));
    assertThat(config.port()).isZero();
    assertThat(config.mesh().propagation()).containsExactly(PropagationFormat.W3C);
    assertThat(config.mesh().exporter().protocol()).isEqualTo(ExportProtocol.OTLP_GRPC);
    assertThat(config.mesh().exporter().headers()).containsEntry("authorization", "Bearer t");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--port|70000|--port=70000: must be between 0 and 65535",
    "--gateway|ftp://x|--gateway=ftp://x: must be an http or https URL with a host",
    "--sampling|140|--sampling=140: must be between 0 and 100",
    "--exporter|jaeger|--exporter=jaeger: must be one of zipkin, zipkin-proto, zipkin-v1, otlp-grpc, otlp-http, none",
    "--propagation|zipkin|--propagation=zipkin: must be a comma-separated list of b3, b3multi, b3single, w3c",
    "--endpoint|collector:4317|--endpoint=collector:4317: must be an http or https URL with a host",
    "--upstream-timeout|fast|--upstream-timeout=fast: must be a whole number of milliseconds or a number with unit ms, s, m, h or d (e.g. 15m)",
    "--colour|red|Unknown options: '--colour', 'red'",
  })
  void parse_badFlag_errorNamesFlagValueAndExpectation(String flag, String value, String message) {
    String[] args = flag.equals("--gateway")
        ? new String[] {flag, value}
        : new String[] {"--gateway", "http://ingress:80", flag, value};
    assertThatThrownBy(() -> ProxyConfig.parse(args, key -> null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void parse_noGateway_rejected() {
    assertThatThrownBy(() -> ProxyConfig.parse(new String[0], key -> null))
        .hasMessage("--gateway is required: the URL requests are forwarded to");
  }
}
