package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.kubernetes.MeshTracingApi;
import io.meshtrace.xds.kubernetes.MeshTracingCrd;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes source's manifests: the CRD is what xds-server generates from its one JSON
 * Schema; the Bookinfo MeshTracing is the shipped xds.yaml without its process settings and is
 * served by xds-server's own parser and snapshot builder; the Role grants what the source, the
 * spec writer, the Lease-holding status writer and the fleet view use, to the service account
 * xds-server runs as.
 */
class KubernetesSourceManifestTest {
  static ObjectNode meshTracing() {
    return ModuleTree.single(ModuleTree.file(Layout.MESH_TRACING));
  }

  @Test
  void crd_isWhatXdsServerGenerates() {
    assertThat(ModuleTree.read(ModuleTree.file(Layout.CRD)))
        .as("k8s/%s: regenerate it with the command in its header", Layout.CRD)
        .isEqualTo(MeshTracingCrd.yaml());
  }

  @Test
  void crd_namesAndStatusSubresource_areThoseXdsServerUses() {
    JsonNode crd = ModuleTree.single(ModuleTree.file(Layout.CRD));

    assertThat(crd.at("/metadata/name").asText()).isEqualTo(MeshTracingApi.CRD_NAME);
    assertThat(crd.at("/spec/group").asText()).isEqualTo("meshtrace.io");
    assertThat(crd.at("/spec/scope").asText()).isEqualTo("Namespaced");
    assertThat(crd.at("/spec/names/kind").asText()).isEqualTo("MeshTracing");
    assertThat(crd.at("/spec/names/plural").asText()).isEqualTo("meshtracings");
    assertThat(crd.at("/spec/names/shortNames").toString()).isEqualTo("[\"mt\"]");
    JsonNode v = crd.at("/spec/versions/0");
    assertThat(v.path("name").asText()).isEqualTo("v1alpha1");
    assertThat(v.at("/subresources/status").isObject()).isTrue();
    JsonNode status = v.at("/schema/openAPIV3Schema/properties/status/properties");
    assertThat(status.has("observedGeneration") && status.has("conditions") && status.has("servedVersion")).isTrue();
    assertThat(v.at("/schema/openAPIV3Schema/properties/spec"))
        .isEqualTo(MeshTracingCrd.specSchema(MeshTracingCrd.meshSchema()));
  }

  @Test
  void meshTracing_specIsTheShippedXdsConfigWithoutServer() {
    ObjectNode xds = ComponentConfigTest.xds().deepCopy();
    MeshTracingCrd.PROCESS_KEYS.forEach(xds::remove);

    assertThat(meshTracing().get("spec")).isEqualTo(xds);
    assertThat(meshTracing().at("/spec/server").isMissingNode()).isTrue();
  }

  @Test
  void meshTracing_specParsedByXdsServer_everySnapshotBuildsAndPassesItsChecks() throws ConfigException {
    MeshConfig c = ConfigParser.parse(meshTracing().get("spec"), null);

    assertThat(c.warnings()).isEmpty();
    assertThat(MeshSnapshots.errors(MeshSnapshots.buildAll(c, Set.of()))).isEmpty();
    assertThat(c.services()).extracting(MeshConfig.Service::name)
        .containsExactly("productpage", "details", "reviews", "ratings");
    assertThat(c.gateway().headerRepair().enabled()).isTrue();
  }

  @Test
  void shippedXdsConfigAndMeshTracing_validateAgainstTheMeshSchema() {
    List<String> errors = new ArrayList<>();
    ManifestSchemas.MESH.validate(ComponentConfigTest.xds()).forEach(m -> errors.add("xds.yaml: " + m.getMessage()));
    errors.addAll(ManifestSchemas.validate(meshTracing()));

    assertThat(errors).isEmpty();
  }

  @Test
  void meshTracing_brokenSpec_refusedByTheCrdSchemaNamingTheField() {
    ObjectNode mt = meshTracing().deepCopy();
    ((ObjectNode) mt.at("/spec/tracing/0")).put("randomSamplingPercentage", 140);
    ((ObjectNode) mt.at("/spec/gateway")).put("port", 0);

    assertThat(ManifestSchemas.validate(mt))
        .anyMatch(m -> m.startsWith("CRD schema: $.tracing[0].randomSamplingPercentage"))
        .anyMatch(m -> m.startsWith("CRD schema: $.gateway.port"));
  }

  @Test
  void meshTracing_unknownKey_refusedByTheMeshSchema() {
    ObjectNode mt = meshTracing().deepCopy();
    ((ObjectNode) mt.get("spec")).putArray("tracingg");

    assertThat(ManifestSchemas.validate(mt)).singleElement().asString()
        .startsWith("mesh schema: $: property 'tracingg'");
  }

  /** What xds-server's Kubernetes layer does with the API, by resource. */
  static final Map<String, Set<String>> NEEDED = Map.of(
      MeshTracingApi.GROUP + "/" + MeshTracingApi.PLURAL, Set.of("get", "list", "watch", "update", "patch"),
      MeshTracingApi.GROUP + "/" + MeshTracingApi.PLURAL + "/status", Set.of("get", "update", "patch"),
      // fabric8's LeaseLock creates the Lease and renews it with a JSON merge patch.
      "coordination.k8s.io/leases", Set.of("get", "create", "update", "patch"),
      "discovery.k8s.io/endpointslices", Set.of("get", "list", "watch"));

  @Test
  void role_grantsExactlyWhatTheKubernetesSourceUses_toTheServiceAccountOfXdsServer() {
    Kustomize.Build b = RenderedOverlayTest.build("overlays/standalone");
    ObjectNode deployment = b.get("Deployment", "meshtrace", "xds-server");
    String sa = RenderedOverlayTest.podSpec(deployment).path("serviceAccountName").asText();
    ObjectNode binding = b.get("RoleBinding", "meshtrace", "xds-server");
    ObjectNode role = b.get("Role", "meshtrace", binding.at("/roleRef/name").asText());

    assertThat(binding.at("/roleRef/kind").asText()).isEqualTo("Role");
    assertThat(binding.get("subjects")).hasSize(1);
    assertThat(binding.at("/subjects/0/name").asText()).isEqualTo(sa);
    assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo("meshtrace");
    b.get("ServiceAccount", "meshtrace", sa);
    Map<String, Set<String>> granted = new TreeMap<>();
    for (JsonNode rule : role.get("rules")) {
      assertThat(rule.has("resourceNames")).isFalse();
      for (JsonNode group : rule.get("apiGroups")) {
        for (JsonNode resource : rule.get("resources")) {
          Set<String> verbs = granted.computeIfAbsent(group.asText() + "/" + resource.asText(), k -> new TreeSet<>());
          rule.get("verbs").forEach(verb -> verbs.add(verb.asText()));
        }
      }
    }
    assertThat(granted).isEqualTo(new TreeMap<>(NEEDED));
  }

  @Test
  void meshTracing_livesInTheNamespaceOfXdsServer() {
    Kustomize.Build b = RenderedOverlayTest.build("overlays/standalone");

    ObjectNode mt = b.get("MeshTracing", "meshtrace", "bookinfo");

    assertThat(mt.at("/metadata/namespace").asText())
        .isEqualTo(b.get("Deployment", "meshtrace", "xds-server").at("/metadata/namespace").asText());
    assertThat(b.ofKind("CustomResourceDefinition")).as("the CRD is installed on its own, first").isEmpty();
    assertThat(RenderedOverlayTest.build("crds").ofKind("CustomResourceDefinition")).hasSize(1);
  }
}
