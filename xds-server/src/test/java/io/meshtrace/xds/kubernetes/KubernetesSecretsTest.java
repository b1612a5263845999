package io.meshtrace.xds.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.Header;
import io.meshtrace.xds.config.LocalSecrets;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.SecretRef;
import io.meshtrace.xds.config.SecretRefresh;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code secretKeyRef} resolved through the Kubernetes API (fabric8's mock API server in CRUD
 * mode): the value reaches the config, a missing Secret or key is a problem naming the field
 * and the reference (never a value), and a changed Secret is seen by {@link SecretRefresh}.
 */
class KubernetesSecretsTest {

  private static final String NS = "meshtrace";
  private static final String TOKEN = "Bearer k8s-secret-token-42";

  private MockApiServer api;
  private KubernetesClient client;
  private KubernetesSecrets secrets;

  @BeforeEach
  void start() {
    api = new MockApiServer();
    client = api.client();
    secrets = new KubernetesSecrets(client, NS, new LocalSecrets(Map.of("TENANT", "books")));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private static String mesh(String ref) {
    return TestMesh.yaml("""
        extensionProviders:
          - name: otel
            opentelemetry:
              service: otel-collector.observability
              port: 4317
              grpc:
                initialMetadata:
                  - {name: authorization, secretKeyRef: %s}
                  - {name: x-tenant, envName: TENANT}
        """.formatted(ref), TestMesh.TRACING, TestMesh.SERVICES);
  }

  private void secret(String name, String key, String value) {
    client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata()
        .withName(name).withNamespace(NS).endMetadata()
        .addToData(key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))
        .build()).createOr(r -> r.update());
  }

  @Test
  void secretKeyRef_resolvedFromTheApi_envBeside_refreshSeesAChange() throws Exception {
    secret("otlp", "token", TOKEN);
    MeshConfig c = ConfigParser.parse(mesh("{name: otlp, key: token}"), null, secrets);
    MeshConfig.OpenTelemetryGrpc otel = (MeshConfig.OpenTelemetryGrpc) c.provider("otel");
    assertThat(otel.initialMetadata()).containsExactly(
        new Header("authorization", TOKEN, SecretRef.secret("otlp", "token")),
        new Header("x-tenant", "books", SecretRef.env("TENANT")));
    assertThat(otel.toString()).doesNotContain(TOKEN).contains("secretKeyRef: {name: otlp");
    assertThat(SecretRefresh.changed(c, null, secrets)).isFalse();

    secret("otlp", "token", "Bearer rotated-token-43");
    assertThat(SecretRefresh.changed(c, null, secrets)).isTrue();
    MeshConfig again = ConfigParser.parse(mesh("{name: otlp, key: token}"), null, secrets);
    assertThat(Header.sentBy(again.provider("otel")).get(0).value())
        .isEqualTo("Bearer rotated-token-43");
  }

  @Test
  void secretKeyRef_missingSecretOrKey_problemNamesFieldAndReference() throws Exception {
    secret("otlp", "token", TOKEN);
    String field = "extensionProviders[0].opentelemetry.grpc.initialMetadata[0].secretKeyRef=";
    assertThatThrownBy(() -> ConfigParser.parse(mesh("{name: absent, key: token}"), null,
        secrets)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
            .containsExactly(field + "{name: absent, key: token}: Secret meshtrace/absent not"
                + " found"));
    assertThatThrownBy(() -> ConfigParser.parse(mesh("{name: otlp, key: other}"), null,
        secrets)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
            .containsExactly(field + "{name: otlp, key: other}: Secret meshtrace/otlp has no"
                + " key other"));
    assertThatThrownBy(() -> ConfigParser.parse(mesh("{name: Not_A_Name, key: \"a b\"}"), null,
        secrets)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
            .anyMatch(x -> x.contains("secretKeyRef.name=Not_A_Name: must be a Secret name"))
            .anyMatch(x -> x.contains("secretKeyRef.key=a b: must be a Secret key")));
  }

  @Test
  void secretKeyRef_withoutKubernetes_refusedWithTheReason() {
    assertThatThrownBy(() -> ConfigParser.parse(mesh("{name: otlp, key: token}"), null,
        new LocalSecrets(Map.of("TENANT", "t")))).isInstanceOfSatisfying(ConfigException.class,
            e -> assertThat(e.errors()).singleElement().asString()
                .contains("secretKeyRef needs the Kubernetes source"));
  }
}
