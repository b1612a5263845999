package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.context.PropagationFormat;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MeshSettingsTest {

  @Test
  void fromProperties_onlyName_openTelemetryDefaultsWithMeshPropagator() {
    MeshSettings settings = MeshSettings.fromProperties(Map.of("otel.service.name", "ratings"));
    assertThat(settings.reportedServiceName()).isEqualTo("ratings");
    assertThat(settings.propagators()).containsExactly("meshtrace", "baggage");
    assertThat(settings.propagation()).isEqualTo(Set.of(PropagationFormat.W3C, PropagationFormat.B3_MULTI));
    assertThat(settings.exporter().protocol()).isEqualTo(ExportProtocol.OTLP_GRPC);
    assertThat(settings.exporter().endpoint()).isEqualTo(URI.create("http://localhost:4317"));
    assertThat(settings.exporter().timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(settings.exporter().batchDelay()).isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.sampling()).isEqualTo(new MeshSettings.Sampling(true, 1.0));
  }

  @Test
  void fromProperties_meshtraceExporter_zipkinEncodingAndHeaders() {
    MeshSettings settings = MeshSettings.fromProperties(Map.of(
        "otel.service.name", "productpage",
        "otel.traces.exporter", "meshtrace",
        "otel.exporter.zipkin.endpoint", "http://zipkin:9411/api/v1/spans",
        "meshtrace.exporter.zipkin.encoding", "json-v1",
        "meshtrace.exporter.zipkin.headers", "Authorization=Bearer%20a%3Db,x-tenant=blue"));
    assertThat(settings.exporter().protocol()).isEqualTo(ExportProtocol.ZIPKIN_V1_JSON);
    assertThat(settings.exporter().endpoint()).isEqualTo(URI.create("http://zipkin:9411/api/v1/spans"));
    assertThat(settings.exporter().headers())
        .containsOnly(Map.entry("authorization", "Bearer a=b"), Map.entry("x-tenant", "blue"));
  }

  @Test
  void fromProperties_propagationAndMeshVersionBoth_propagationWins() {
    MeshSettings old = MeshSettings.fromProperties(
        Map.of("otel.service.name", "a", "meshtrace.mesh.version", "1.17.2"));
    MeshSettings recent = MeshSettings.fromProperties(
        Map.of("otel.service.name", "a", "meshtrace.mesh.version", "1.20.0"));
    MeshSettings both = MeshSettings.fromProperties(Map.of("otel.service.name", "a",
        "meshtrace.mesh.version", "1.20.0", "meshtrace.propagation", "b3multi"));
    assertThat(old.propagation()).containsExactly(PropagationFormat.B3_MULTI);
    assertThat(recent.propagation()).containsExactly(PropagationFormat.W3C);
    assertThat(both.propagation()).containsExactly(PropagationFormat.B3_MULTI);
  }

  @Test
  void fromProperties_namespace_qualifiesNameOpenTelemetryAttributesWin() {
    MeshSettings mesh = MeshSettings.fromProperties(Map.of("otel.service.name", "reviews",
        "meshtrace.service.namespace", "bookinfo"));
    assertThat(mesh.reportedServiceName()).isEqualTo("reviews.bookinfo");
    assertThat(mesh.resource().getAttribute(MeshResource.K8S_NAMESPACE)).isEqualTo("bookinfo");

    MeshSettings both = MeshSettings.fromProperties(Map.of("otel.service.name", "reviews",
        "meshtrace.service.namespace", "bookinfo",
        "otel.resource.attributes", "service.namespace=shop,k8s.namespace.name=shop-ns"));
    assertThat(both.resource().getAttribute(MeshResource.SERVICE_NAMESPACE)).isEqualTo("shop");
    assertThat(both.resource().getAttribute(MeshResource.K8S_NAMESPACE)).isEqualTo("shop-ns");
    assertThat(both.reportedServiceName()).isEqualTo("reviews.shop");

    MeshSettings plain = MeshSettings.fromProperties(Map.of("otel.service.name", "reviews",
        "meshtrace.service.namespace", "bookinfo", "meshtrace.service.qualify", "false"));
    assertThat(plain.reportedServiceName()).isEqualTo("reviews");
    assertThat(plain.serviceNamespace()).isEqualTo("bookinfo");
  }

  @Test
  void fromProperties_serviceNameInResourceAttributes_usedWhenOtelServiceNameUnset() {
    assertThat(MeshSettings.fromProperties(Map.of("otel.resource.attributes", "service.name=cart,team=blue"))
        .reportedServiceName()).isEqualTo("cart");
    assertThat(MeshSettings.fromProperties(Map.of("otel.resource.attributes", "service.name=cart",
        "otel.service.name", "orders")).reportedServiceName()).isEqualTo("orders");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "otel.traces.sampler.arg|25|otel.traces.sampler.arg=25: must be a ratio between 0.0 and 1.0 (0.25 samples a quarter of new traces)",
    "otel.traces.sampler.arg|lots|Invalid value for property otel.traces.sampler.arg=lots. Must be a double.",
    "otel.traces.sampler|sometimes|otel.traces.sampler=sometimes: must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio",
    "meshtrace.propagation|zipkin|meshtrace.propagation=zipkin: must be a comma-separated list of tracecontext, b3, b3multi",
    "otel.traces.exporter|jaeger|otel.traces.exporter=jaeger: must be one of otlp, zipkin, meshtrace, none",
    "otel.exporter.otlp.protocol|http/json|otel.exporter.otlp.protocol=http/json: must be grpc or http/protobuf",
    "otel.exporter.otlp.endpoint|collector:4317|otel.exporter.otlp.endpoint=collector:4317: must be an http or https URL with a host",
    "otel.exporter.otlp.timeout|10 parsecs|Invalid duration property otel.exporter.otlp.timeout=10 parsecs. Invalid duration string, found: parsecs",
    "otel.exporter.otlp.headers|authorization|otel.exporter.otlp.headers: must be a comma-separated list of name=value (the value is not shown: it may hold a secret)",
    "meshtrace.service.qualify|yes|meshtrace.service.qualify=yes: must be true or false",
    "meshtrace.mesh.version|1.x|meshtrace.mesh.version=1.x: must be a dotted numeric version such as 1.18.0.124",
    "otel.service.name|pro duct|otel.service.name=pro duct: must be printable ASCII without spaces",
    "meshtrace.exporter.zipkin.encoding|json-v1|meshtrace.exporter.zipkin.encoding is set but otel.traces.exporter=: set otel.traces.exporter=meshtrace, the Zipkin exporter that reads it (OpenTelemetry's zipkin exporter sends JSON v2 without headers)",
    "meshtrace.sampling|10|meshtrace.sampling is no longer read: use otel.traces.sampler=parentbased_traceidratio with otel.traces.sampler.arg as a ratio (0.25 samples a quarter of new traces)",
    "meshtrace.service.name|a|meshtrace.service.name is no longer read: use otel.service.name",
  })
  void fromProperties_badValue_errorNamesKeyValueAndExpectation(String key, String value, String message) {
    Map<String, String> p = new HashMap<>();
    p.put("otel.service.name", "productpage");
    p.put("otel.traces.sampler", "parentbased_traceidratio");
    p.put(key, value);
    assertThatThrownBy(() -> MeshSettings.fromProperties(p))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(message);
  }

  @Test
  void fromProperties_headerValueWithSecret_neverInTheMessage() {
    assertThatThrownBy(() -> MeshSettings.fromProperties(Map.of("otel.service.name", "a",
        "otel.exporter.otlp.headers", "authorization=Bearer%0Dsecret-token")))
        .hasMessage("otel.exporter.otlp.headers=authorization=...: header names must be HTTP tokens and values printable ASCII")
        .hasMessageNotContaining("secret-token");
  }

  @Test
  void fromProperties_noServiceName_rejected() {
    assertThatThrownBy(() -> MeshSettings.fromProperties(Map.of()))
        .hasMessage("otel.service.name is not set: must name the application (e.g. productpage)");
  }

  @Test
  void exporterHeaders_withLineBreak_rejected() {
    MeshSettings.Exporter exporter = MeshSettings.Exporter.defaults(ExportProtocol.OTLP_GRPC);
    assertThatThrownBy(() -> exporter.withHeaders(Map.of("authorization", "a\r\nx-evil: 1")))
        .hasMessage("exporter.headers=authorization=...: header names must be HTTP tokens and values printable ASCII");
  }

  @Test
  void propagation_empty_rejected() {
    assertThatThrownBy(() -> MeshSettings.of("a").withPropagation(EnumSet.noneOf(PropagationFormat.class)))
        .hasMessage("propagation=[]: must name at least one of w3c, b3multi, b3single");
    assertThatThrownBy(() -> MeshSettings.of("a").withPropagators(List.of("jaeger")))
        .hasMessage("propagators=[jaeger]: jaeger is not one of meshtrace, tracecontext, baggage, b3, b3multi");
  }

  @ParameterizedTest
  @CsvSource({"1500ms, 1500", "2s, 2000", "1.5s, 1500", "15m, 900000", "1h, 3600000"})
  void parseDuration_sharedGrammar(String value, long millis) {
    assertThat(MeshSettings.parseDuration("k", value)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @CsvSource({"1500", "1d", "-1s", "soon"})
  void parseDuration_noUnitOrUnknownUnit_rejectedAsEveryModuleDoes(String value) {
    assertThatThrownBy(() -> MeshSettings.parseDuration("k", value))
        .hasMessage("k=" + value + ": " + io.meshtrace.context.config.ConfigDuration.EXPECTED);
  }
}
