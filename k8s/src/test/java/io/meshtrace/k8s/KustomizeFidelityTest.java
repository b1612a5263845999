package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tests' renderer ({@link Kustomize}) yields exactly what real kustomize yields.
 * src/test/resources/rendered/NAME.yaml is the output of kustomize v5.5.0 (kubectl v1.32):
 * regenerate it after changing a manifest with
 * {@code kubectl kustomize k8s/overlays/NAME > k8s/src/test/resources/rendered/NAME.yaml}
 * ({@code k8s/crds} into {@code rendered/crds.yaml}).
 * Kustomize's content-hash suffix of generated ConfigMaps is removed before comparing.
 */
class KustomizeFidelityTest {
  private static final Pattern HASH = Pattern.compile("-[a-z0-9]{10}$");

  static Stream<String> overlays() {
    return Layout.entryPoints().stream().map(o -> o.substring(o.lastIndexOf('/') + 1));
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void renderer_matchesKustomizeOutput(String overlay) throws IOException {
    List<JsonNode> expected;
    try (InputStream in = getClass().getResourceAsStream("/rendered/" + overlay + ".yaml")) {
      assertThat(in).as("rendered/%s.yaml", overlay).isNotNull();
      expected = ModuleTree.documents(new String(in.readAllBytes(), StandardCharsets.UTF_8), "rendered/" + overlay + ".yaml");
    }
    Set<String> generated = new TreeSet<>();
    for (JsonNode o : expected) {
      if (o.path("kind").asText().equals("ConfigMap")) {
        String name = o.path("metadata").path("name").asText();
        assertThat(HASH.matcher(name).find()).as("generated ConfigMap %s has a hash suffix", name).isTrue();
        generated.add(name);
      }
    }
    // JsonNode equality ignores the order of fields (kustomize sorts them), not of list items.
    List<JsonNode> want = new ArrayList<>();
    for (JsonNode o : expected) {
      want.add(unhash(o.deepCopy(), generated));
    }
    String dir = Layout.entryPoints().stream().filter(o -> o.endsWith("/" + overlay) || o.equals(overlay)).findFirst().orElseThrow();
    List<JsonNode> got = new ArrayList<>(Kustomize.build(ModuleTree.root().resolve(dir)).objects());

    assertThat(got)
        .as("Kustomize renderer vs kubectl kustomize (regenerate rendered/%s.yaml if a manifest changed)", overlay)
        .containsExactlyInAnyOrderElementsOf(want);
  }

  /** Replaces every text value equal to a hashed ConfigMap name by the name without its hash. */
  private static JsonNode unhash(JsonNode n, Set<String> hashed) {
    if (n instanceof ObjectNode o) {
      List<String> fields = new ArrayList<>();
      o.fieldNames().forEachRemaining(fields::add);
      for (String f : fields) {
        JsonNode v = o.get(f);
        if (v.isTextual() && hashed.contains(v.asText())) {
          o.put(f, HASH.matcher(v.asText()).replaceFirst(""));
        } else {
          unhash(v, hashed);
        }
      }
    } else if (n.isArray()) {
      n.forEach(c -> unhash(c, hashed));
    }
    return n;
  }
}
