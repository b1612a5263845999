package io.meshtrace.sdk.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.context.PropagationFormat;
import io.meshtrace.sdk.ExportProtocol;
import java.net.URI;
import java.time.Duration;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProxyConfigTest {

  private static final DefaultConfigProperties NO_ENVIRONMENT = DefaultConfigProperties.createFromMap(Map.of());

  @Test
  void parse_onlyGateway_defaults() {
    ProxyConfig config = ProxyConfig.parse(new String[] {"--gateway", "http://ingress:80"}, NO_ENVIRONMENT);
    assertThat(config.port()).isEqualTo(8080);
    assertThat(config.bind()).isEqualTo("127.0.0.1");
    assertThat(config.gateway()).isEqualTo(URI.create("http://ingress:80"));
    assertThat(config.upstreamTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.mesh().serviceName()).isEqualTo("external-proxy");
    assertThat(config.mesh().propagation()).containsExactly(PropagationFormat.B3_MULTI);
    assertThat(config.mesh().exporter().protocol()).isEqualTo(ExportProtocol.ZIPKIN_JSON);
    assertThat(config.mesh().exporter().batchDelay()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void parse_flagsWinOverSystemProperties_meshVersionPicksPropagation() {
    DefaultConfigProperties properties = DefaultConfigProperties.createFromMap(Map.of(
        "meshtrace.proxy.gateway", "http://from-property:80",
        "meshtrace.proxy.port", "9000",
        "otel.service.name", "edge",
        "otel.traces.exporter", "otlp"));
    ProxyConfig config = ProxyConfig.parse(new String[] {"--port=0", "--mesh-version", "1.20.1",
        "--endpoint", "http://collector:4317", "--exporter-headers", "authorization=Bearer t+1"}, properties);
    assertThat(config.gateway()).isEqualTo(URI.create("http://from-property:80"));
    assertThat(config.port()).isZero();
    assertThat(config.mesh().propagation()).containsExactly(PropagationFormat.W3C);
    assertThat(config.mesh().exporter().protocol()).isEqualTo(ExportProtocol.OTLP_GRPC);
    assertThat(config.mesh().exporter().endpoint()).isEqualTo(URI.create("http://collector:4317"));
    assertThat(config.mesh().exporter().headers()).containsEntry("authorization", "Bearer t+1");
    assertThat(config.mesh().serviceName()).isEqualTo("edge");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--port|70000|--port=70000: must be between 0 and 65535",
    "--gateway|ftp://x|--gateway=ftp://x: must be an http or https URL with a host",
    "--sampling|140|--sampling=140: must be between 0 and 100",
    "--exporter|jaeger|--exporter=jaeger: must be one of zipkin, zipkin-proto, zipkin-v1, otlp-grpc, otlp-http, none",
    "--propagation|zipkin|--propagation=zipkin: must be a comma-separated list of tracecontext, b3, b3multi",
    "--service|pro duct|--service=pro duct: must be printable ASCII without spaces",
    "--endpoint|collector:4317|--endpoint=collector:4317: must be an http or https URL with a host",
    "--upstream-timeout|fast|--upstream-timeout=fast: must be a duration: a number and a unit (us, ms, s, m, h), e.g. 500ms, 10s, 1.5m, 1h",
    "--colour|red|Unknown options: '--colour', 'red'",
  })
  void parse_badFlag_errorNamesFlagValueAndExpectation(String flag, String value, String message) {
    String[] args = flag.equals("--gateway")
        ? new String[] {flag, value}
        : new String[] {"--gateway", "http://ingress:80", flag, value};
    assertThatThrownBy(() -> ProxyConfig.parse(args, NO_ENVIRONMENT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void parse_noGateway_rejected() {
    assertThatThrownBy(() -> ProxyConfig.parse(new String[0], NO_ENVIRONMENT))
        .hasMessage("--gateway is required: the URL requests are forwarded to");
  }
}
