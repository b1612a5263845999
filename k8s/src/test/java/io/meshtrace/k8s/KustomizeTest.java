package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tests' kustomize renderer refuses what kustomize refuses and what it does not render. */
class KustomizeTest {
  @TempDir
  Path dir;

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, text);
  }

  private static final String HEAD = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n";

  @Test
  void missingResource_fails() throws IOException {
    write("k/kustomization.yaml", HEAD + "resources:\n- deployment.yaml\n");

    assertThatThrownBy(() -> Kustomize.build(dir.resolve("k")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'deployment.yaml' does not exist");
  }

  @Test
  void generatorFileOutsideTheRoot_fails() throws IOException {
    write("outside.yaml", "a: 1\n");
    write("k/kustomization.yaml", HEAD + "configMapGenerator:\n- name: c\n  files:\n  - ../outside.yaml\n");

    assertThatThrownBy(() -> Kustomize.build(dir.resolve("k")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the kustomization root");
  }

  @Test
  void fieldTheRendererDoesNotApply_fails() throws IOException {
    write("k/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n");
    write("k/kustomization.yaml", HEAD + "resources:\n- ns.yaml\ncommonLabels:\n  a: b\n");

    assertThatThrownBy(() -> Kustomize.build(dir.resolve("k")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'commonLabels'");
  }

  @Test
  void patchWithoutTarget_fails() throws IOException {
    write("k/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n");
    write("k/p.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  labels:\n    x: y\n");
    write("k/kustomization.yaml", HEAD + "resources:\n- ns.yaml\npatches:\n- path: p.yaml\n");

    assertThatThrownBy(() -> Kustomize.build(dir.resolve("k")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("patches no object");
  }

  @Test
  void namespaceAndGenerator_areApplied() throws IOException {
    write("k/cm.txt", "hello\n");
    write("k/sa.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n");
    write("k/kustomization.yaml", HEAD + "namespace: n\nresources:\n- sa.yaml\nconfigMapGenerator:\n- name: c\n  files:\n  - key.txt=cm.txt\n");

    Kustomize.Build b = Kustomize.build(dir.resolve("k"));

    assertThat(b.get("ServiceAccount", "n", "s")).isNotNull();
    assertThat(b.get("ConfigMap", "n", "c").path("data").path("key.txt").asText()).isEqualTo("hello\n");
  }

  private static final String COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n";

  @Test
  void component_addsItsObjectsAndPatchesThoseOfTheKustomizationNamingIt() throws IOException {
    write("base/sa.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n  namespace: n\n");
    write("base/kustomization.yaml", HEAD + "resources:\n- sa.yaml\n");
    write("c/role.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: n\n");
    write("c/patch.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n  labels:\n    from: component\n");
    write("c/kustomization.yaml", COMPONENT + "resources:\n- role.yaml\npatches:\n- path: patch.yaml\n");
    write("o/kustomization.yaml", HEAD + "resources:\n- ../base\ncomponents:\n- ../c\n");

    Kustomize.Build b = Kustomize.build(dir.resolve("o"));

    assertThat(b.get("ConfigMap", "n", "extra")).isNotNull();
    assertThat(b.get("ServiceAccount", "n", "s").at("/metadata/labels/from").asText()).isEqualTo("component");
  }

  @Test
  void componentNamedAsResource_orKustomizationAsComponent_fails() throws IOException {
    write("c/kustomization.yaml", COMPONENT + "resources: []\n");
    write("k/kustomization.yaml", HEAD + "resources:\n- ../c\n");
    write("b/kustomization.yaml", HEAD + "resources: []\n");
    write("o/kustomization.yaml", HEAD + "components:\n- ../b\n");

    assertThatThrownBy(() -> Kustomize.build(dir.resolve("k")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resources: names no components");
    assertThatThrownBy(() -> Kustomize.build(dir.resolve("o")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("components: names components only");
  }
}
