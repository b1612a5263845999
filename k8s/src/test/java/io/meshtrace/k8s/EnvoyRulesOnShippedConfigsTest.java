package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The shipped Envoy configs pass the protoc-gen-validate rules Envoy enforces (checked by
 * xds-server's {@link io.meshtrace.xds.validate.EnvoyRules}); broken copies do not.
 */
class EnvoyRulesOnShippedConfigsTest {
  static final List<String> ENVOY_CONFIGS = Layout.ENVOY_CONFIGS;

  @ParameterizedTest
  @FieldSource("ENVOY_CONFIGS")
  void shippedEnvoyConfig_passesEnvoysValidationRules(String file) {
    assertThat(EnvoyJson.RULES.check(EnvoyConfigTest.load(file))).isEmpty();
  }

  @Test
  void envoyFilterPatchValues_passEnvoysValidationRules() {
    List<Message> all = new ArrayList<>();
    for (String file : List.of(EnvoyFilterPatchTest.FILE, EnvoyFilterPatchTest.UNTRACED_FILE)) {
      EnvoyFilterPatchTest.Patches p = EnvoyFilterPatchTest.decode(EnvoyFilterPatchTest.envoyFilter(file));
      all.addAll(p.clusters());
      all.addAll(p.listeners());
      all.addAll(p.networkFilters());
      all.addAll(p.httpFilters());
    }
    assertThat(all).hasSize(7);
    for (Message m : all) {
      assertThat(EnvoyJson.RULES.check(m)).isEmpty();
    }
  }

  @ParameterizedTest(name = "{1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "envoy/gateway-static.yaml | stat_prefix: edge | stat_prefix: ''                 | stat_prefix",
      "envoy/gateway-static.yaml | random_sampling: {value: 100} | random_sampling: {value: 140} | random_sampling.value",
      "envoy/gateway-static.yaml | message_timeout: 0.2s | message_timeout: 3601s          | message_timeout",
      "envoy/gateway-static.yaml | 'domains: [\"*\"]' | 'domains: []'                      | domains",
      "envoy/gateway-bootstrap.yaml | port_value: 18000 | port_value: 70000                | port_value",
      "envoy/gateway-bootstrap.yaml | 'cluster_name: xds_cluster' | 'cluster_name: \"\"' | cluster_name",
  })
  void brokenCopy_breaksARule(String file, String correct, String broken, String path) {
    String text = ModuleTree.read(ModuleTree.file(file));
    assertThat(text).contains(correct);
    JsonNode doc = ModuleTree.documents(text.replace(correct, broken), file).get(0);
    Bootstrap b = EnvoyJson.bootstrap(doc, file);

    assertThat(EnvoyJson.RULES.check(b)).isNotEmpty().allSatisfy(v -> assertThat(v).contains(path));
  }

  @Test
  void zipkinWithoutCollectorEndpoint_breaksARule() {
    JsonNode z = ModuleTree.documents("collector_cluster: zipkin\ncollector_endpoint_version: HTTP_JSON\n", "zipkin").get(0);
    ZipkinConfig c = EnvoyJson.decode(z, ZipkinConfig.newBuilder(), "zipkin");

    assertThat(EnvoyJson.RULES.check(c)).singleElement().asString().contains("collector_endpoint");
  }

  @Test
  void openTelemetryHttpServiceWithoutTimeout_breaksARule() {
    JsonNode o = ModuleTree.documents(
        "http_service:\n  http_uri: {uri: 'http://c:4318/v1/traces', cluster: c}\n", "otel").get(0);
    OpenTelemetryConfig c = EnvoyJson.decode(o, OpenTelemetryConfig.newBuilder(), "otel");

    assertThat(EnvoyJson.RULES.check(c)).singleElement().asString().contains("timeout").contains("required");
  }
}
