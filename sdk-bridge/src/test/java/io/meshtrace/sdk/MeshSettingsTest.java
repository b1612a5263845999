package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.context.PropagationFormat;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MeshSettingsTest {

  @Test
  void fromProperties_everyKey_parsed() {
    Map<String, String> p = new HashMap<>();
    p.put("meshtrace.service.name", "productpage");
    p.put("meshtrace.service.namespace", "bookinfo");
    p.put("meshtrace.propagation", "b3single, w3c");
    p.put("meshtrace.exporter", "otlp-http");
    p.put("meshtrace.exporter.endpoint", "http://collector:4318/v1/traces");
    p.put("meshtrace.exporter.headers", "Authorization=Bearer a=b,x-tenant=blue");
    p.put("meshtrace.exporter.timeout", "3s");
    p.put("meshtrace.exporter.delay", "250ms");
    p.put("meshtrace.sampling", "12.5");
    MeshSettings settings = MeshSettings.fromProperties(p::get);

    assertThat(settings.serviceName()).isEqualTo("productpage");
    assertThat(settings.reportedServiceName()).isEqualTo("productpage.bookinfo");
    assertThat(settings.propagation()).containsExactlyInAnyOrder(PropagationFormat.B3_SINGLE, PropagationFormat.W3C);
    assertThat(settings.exporter().protocol()).isEqualTo(ExportProtocol.OTLP_HTTP);
    assertThat(settings.exporter().endpoint()).isEqualTo(URI.create("http://collector:4318/v1/traces"));
    assertThat(settings.exporter().headers())
        .containsOnly(Map.entry("authorization", "Bearer a=b"), Map.entry("x-tenant", "blue"));
    assertThat(settings.exporter().timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(settings.exporter().batchDelay()).isEqualTo(Duration.ofMillis(250));
    assertThat(settings.samplingPercent()).isEqualTo(12.5);
  }

  @Test
  void fromProperties_onlyName_defaults() {
    MeshSettings settings = MeshSettings.fromProperties(Map.of("otel.service.name", "ratings")::get);
    assertThat(settings.reportedServiceName()).isEqualTo("ratings");
    assertThat(settings.propagation()).isEqualTo(Set.of(PropagationFormat.W3C, PropagationFormat.B3_MULTI));
    assertThat(settings.exporter().protocol()).isEqualTo(ExportProtocol.ZIPKIN_JSON);
    assertThat(settings.exporter().endpoint()).isEqualTo(URI.create("http://localhost:9411/api/v2/spans"));
    assertThat(settings.samplingPercent()).isEqualTo(100);
  }

  @Test
  void fromProperties_meshVersionWithoutPropagation_usesVersionRule() {
    MeshSettings old = MeshSettings.fromProperties(
        Map.of("meshtrace.service.name", "a", "meshtrace.mesh.version", "1.17.2")::get);
    MeshSettings recent = MeshSettings.fromProperties(
        Map.of("meshtrace.service.name", "a", "meshtrace.mesh.version", "1.20.0")::get);
    MeshSettings both = MeshSettings.fromProperties(Map.of("meshtrace.service.name", "a",
        "meshtrace.mesh.version", "1.20.0", "meshtrace.propagation", "b3")::get);
    assertThat(old.propagation()).containsExactly(PropagationFormat.B3_MULTI);
    assertThat(recent.propagation()).containsExactly(PropagationFormat.W3C);
    assertThat(both.propagation()).containsExactly(PropagationFormat.B3_MULTI);
  }

  @Test
  void qualifyFalse_keepsPlainServiceName() {
    MeshSettings settings = MeshSettings.fromProperties(Map.of("meshtrace.service.name", "a",
        "meshtrace.service.namespace", "ns", "meshtrace.service.qualify", "false")::get);
    assertThat(settings.reportedServiceName()).isEqualTo("a");
    assertThat(settings.serviceNamespace()).isEqualTo("ns");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "meshtrace.sampling|140|meshtrace.sampling=140: must be between 0 and 100",
    "meshtrace.sampling|lots|meshtrace.sampling=lots: must be a number between 0 and 100",
    "meshtrace.propagation|zipkin|meshtrace.propagation=zipkin: must be a comma-separated list of b3, b3multi, b3single, w3c",
    "meshtrace.exporter|jaeger|meshtrace.exporter=jaeger: must be one of zipkin, zipkin-proto, zipkin-v1, otlp-grpc, otlp-http, none",
    "meshtrace.exporter.endpoint|zipkin:9411|meshtrace.exporter.endpoint=zipkin:9411: must be an http or https URL with a host",
    "meshtrace.exporter.timeout|10 parsecs|meshtrace.exporter.timeout=10 parsecs: must be a whole number of milliseconds or a number with unit ms, s, m, h or d (e.g. 15m)",
    "meshtrace.exporter.headers|novalue|meshtrace.exporter.headers=novalue: must be a comma-separated list of name=value",
    "meshtrace.service.qualify|yes|meshtrace.service.qualify=yes: must be true or false",
    "meshtrace.mesh.version|1.x|meshtrace.mesh.version=1.x: must be a dotted numeric version such as 1.18.0.124",
    "meshtrace.service.name|pro duct|meshtrace.service.name=pro duct: must be printable ASCII without spaces",
  })
  void fromProperties_badValue_errorNamesKeyValueAndExpectation(String key, String value, String message) {
    Map<String, String> p = new HashMap<>();
    p.put("meshtrace.service.name", "productpage");
    p.put(key, value);
    assertThatThrownBy(() -> MeshSettings.fromProperties(p::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void fromProperties_noServiceName_rejected() {
    assertThatThrownBy(() -> MeshSettings.fromProperties(Map.<String, String>of()::get))
        .hasMessage("meshtrace.service.name is not set: must name the application (e.g. productpage)");
  }

  @Test
  void exporterHeaders_withLineBreak_rejected() {
    MeshSettings.Exporter exporter = MeshSettings.Exporter.defaults(ExportProtocol.OTLP_GRPC);
    assertThatThrownBy(() -> exporter.withHeaders(Map.of("authorization", "a\r\nx-evil: 1")))
        .hasMessageStartingWith("meshtrace.exporter.headers=authorization=...");
  }

  @Test
  void propagation_empty_rejected() {
    assertThatThrownBy(() -> MeshSettings.of("a").withPropagation(EnumSet.noneOf(PropagationFormat.class)))
        .hasMessage("meshtrace.propagation=: must name at least one of b3, b3multi, b3single, w3c");
  }

  @ParameterizedTest
  @CsvSource({"1500, 1500", "1500ms, 1500", "2s, 2000", "15m, 900000", "1h, 3600000", "1d, 86400000"})
  void parseDuration_unitsAndPlainMillis(String value, long millis) {
    assertThat(MeshSettings.parseDuration("k", value)).isEqualTo(Duration.ofMillis(millis));
  }
}
