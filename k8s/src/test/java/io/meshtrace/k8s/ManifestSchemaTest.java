package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every manifest in k8s/ parses and passes the strict schemas of src/test/resources/schemas/. */
class ManifestSchemaTest {
  static Stream<String> manifestFiles() {
    return Layout.manifestFiles().stream().map(ModuleTree::relative);
  }

  static Stream<String> overlays() {
    return Layout.entryPoints().stream();
  }

  @ParameterizedTest
  @MethodSource("manifestFiles")
  void manifest_everyDocument_matchesItsSchema(String file) {
    List<JsonNode> docs = ModuleTree.documents(ModuleTree.file(file));
    assertThat(docs).as(file).isNotEmpty();
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < docs.size(); i++) {
      for (String e : ManifestSchemas.validate(docs.get(i))) {
        errors.add(file + " document " + i + " (" + docs.get(i).path("kind").asText() + " "
            + docs.get(i).path("metadata").path("name").asText() + "): " + e);
      }
    }
    assertThat(errors).isEmpty();
  }

  @Test
  void everyShippedYamlFile_isCheckedBySomeTest() {
    Set<String> all = new TreeSet<>();
    for (Path p : ModuleTree.shippedYamlFiles()) {
      all.add(ModuleTree.relative(p));
    }
    Set<String> covered = new TreeSet<>(Layout.ENVOY_CONFIGS);
    covered.addAll(Layout.COMPONENT_CONFIGS);
    covered.addAll(Layout.patchFiles());
    manifestFiles().forEach(covered::add);

    assertThat(covered).isEqualTo(all);
    assertThat(all).containsAll(Layout.ENVOY_CONFIGS).containsAll(Layout.COMPONENT_CONFIGS).containsAll(Layout.INSTALL_ONLY);
  }

  @Test
  void everyManifestFile_isPartOfAnOverlayOrInstallOnly() {
    Set<String> used = new TreeSet<>(Layout.INSTALL_ONLY);
    for (String overlay : Layout.entryPoints()) {
      for (Path p : Kustomize.build(ModuleTree.root().resolve(overlay)).files()) {
        used.add(ModuleTree.relative(p));
      }
    }
    Set<String> shipped = new TreeSet<>();
    for (Path p : ModuleTree.shippedYamlFiles()) {
      shipped.add(ModuleTree.relative(p));
    }

    assertThat(used).as("files reachable from the overlays").isEqualTo(shipped);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void renderedOverlay_everyObjectMatchesItsSchema(String overlay) {
    List<String> errors = new ArrayList<>();
    for (ObjectNode o : Kustomize.build(ModuleTree.root().resolve(overlay)).objects()) {
      for (String e : ManifestSchemas.validate(o)) {
        errors.add(o.path("kind").asText() + " " + o.path("metadata").path("name").asText() + ": " + e);
      }
    }
    assertThat(errors).isEmpty();
  }

  // --- the schemas are strict: broken copies of real objects fail ------------------------------

  static ObjectNode realDeployment() {
    return (ObjectNode) ModuleTree.documents(ModuleTree.file("base/common/ext-proc.yaml")).stream()
        .filter(d -> d.path("kind").asText().equals("Deployment")).findFirst().orElseThrow().deepCopy();
  }

  static ObjectNode container(ObjectNode deployment) {
    return (ObjectNode) deployment.path("spec").path("template").path("spec").path("containers").get(0);
  }

  static List<String> errorsAfter(Consumer<ObjectNode> change) {
    ObjectNode d = realDeployment();
    assertThat(ManifestSchemas.validate(d)).as("the unchanged copy is valid").isEmpty();
    change.accept(d);
    return ManifestSchemas.validate(d);
  }

  @Test
  void deployment_unknownContainerField_fails() {
    assertThat(errorsAfter(d -> container(d).put("imagePullPolicyy", "Always"))).isNotEmpty();
  }

  @Test
  void deployment_wrongTypeAndBadEnum_fail() {
    assertThat(errorsAfter(d -> ((ObjectNode) d.path("spec")).put("replicas", "2"))).isNotEmpty();
    assertThat(errorsAfter(d -> container(d).put("imagePullPolicy", "Sometimes"))).isNotEmpty();
    assertThat(errorsAfter(d -> ((ObjectNode) container(d).path("ports").get(0)).put("name", "grpc-port-name-too-long"))).isNotEmpty();
  }

  @Test
  void deployment_probeWithoutHandler_fails() {
    assertThat(errorsAfter(d -> ((ObjectNode) container(d).path("readinessProbe")).remove("httpGet"))).isNotEmpty();
  }

  @Test
  void deployment_missingTemplateLabels_fails() {
    assertThat(errorsAfter(d -> ((ObjectNode) d.path("spec").path("template").path("metadata")).remove("labels"))).isNotEmpty();
  }

  @Test
  void envoyFilter_replaceOnCluster_fails() {
    ObjectNode ef = (ObjectNode) ModuleTree.documents(ModuleTree.file("overlays/istio/envoyfilter-ext-proc.yaml")).get(0).deepCopy();
    assertThat(ManifestSchemas.validate(ef)).isEmpty();
    ArrayNode patches = (ArrayNode) ef.path("spec").path("configPatches");
    ((ObjectNode) patches.get(0).path("patch")).put("operation", "REPLACE");

    assertThat(ManifestSchemas.validate(ef)).isNotEmpty();
  }

  @Test
  void telemetry_samplingAbove100_fails() {
    ObjectNode t = (ObjectNode) ModuleTree.documents(ModuleTree.file("base/istio/telemetry.yaml")).get(0).deepCopy();
    assertThat(ManifestSchemas.validate(t)).isEmpty();
    ((ObjectNode) t.path("spec").path("tracing").get(0)).put("randomSamplingPercentage", 140);

    assertThat(ManifestSchemas.validate(t)).isNotEmpty();
  }

  static ObjectNode shipped(String file, String kind, String name) {
    return (ObjectNode) ModuleTree.documents(ModuleTree.file(file)).stream()
        .filter(d -> d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText().equals(name))
        .findFirst().orElseThrow().deepCopy();
  }

  @Test
  void certificate_unknownFieldBadEnumOrNoSecretName_fail() {
    ObjectNode c = shipped("components/cert-manager/certificates.yaml", "Certificate", "xds-server-tls");
    assertThat(ManifestSchemas.validate(c)).as("the unchanged copy is valid").isEmpty();
    ObjectNode typo = c.deepCopy();
    ((ObjectNode) typo.path("spec")).set("dnsName", typo.path("spec").path("dnsNames"));
    assertThat(ManifestSchemas.validate(typo)).isNotEmpty();
    ObjectNode encoding = c.deepCopy();
    ((ObjectNode) encoding.path("spec").path("privateKey")).put("encoding", "PKCS#8");
    assertThat(ManifestSchemas.validate(encoding)).isNotEmpty();
    ObjectNode usage = c.deepCopy();
    ((com.fasterxml.jackson.databind.node.ArrayNode) usage.path("spec").path("usages")).add("serverauth");
    assertThat(ManifestSchemas.validate(usage)).isNotEmpty();
    ObjectNode noSecret = c.deepCopy();
    ((ObjectNode) noSecret.path("spec")).remove("secretName");
    assertThat(ManifestSchemas.validate(noSecret)).isNotEmpty();
  }

  @Test
  void issuer_twoOrNoIssuerTypes_fail() {
    ObjectNode i = shipped("components/cert-manager/issuer.yaml", "Issuer", "meshtrace-ca");
    assertThat(ManifestSchemas.validate(i)).as("the unchanged copy is valid").isEmpty();
    ObjectNode two = i.deepCopy();
    ((ObjectNode) two.path("spec")).putObject("selfSigned");
    assertThat(ManifestSchemas.validate(two)).isNotEmpty();
    ObjectNode none = i.deepCopy();
    ((ObjectNode) none.path("spec")).remove("ca");
    assertThat(ManifestSchemas.validate(none)).isNotEmpty();
  }

  @Test
  void deployment_secretVolumeWithoutSecretName_fails() {
    assertThat(errorsAfter(d -> ((com.fasterxml.jackson.databind.node.ArrayNode) d.path("spec").path("template").path("spec").path("volumes"))
        .addObject().put("name", "tls").putObject("secret").put("secretNam", "ext-proc-tls"))).isNotEmpty();
  }

  @Test
  void unknownKind_isAnError() {
    ObjectNode d = realDeployment();
    d.put("kind", "StatefulSet");

    assertThat(ManifestSchemas.validate(d)).singleElement().asString().contains("no schema for apps/v1/StatefulSet");
  }
}
