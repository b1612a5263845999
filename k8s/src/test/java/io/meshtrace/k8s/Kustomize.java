package io.meshtrace.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a kustomization the way {@code kubectl kustomize} does for the features these
 * manifests use (resources, components, namespace, configMapGenerator, strategic-merge
 * patches), so the
 * tests can check the objects an operator really applies. Generated ConfigMaps keep their
 * plain name: kustomize appends a content hash and rewrites every reference to it alike.
 * Any other kustomization field is refused rather than ignored.
 */
final class Kustomize {
  private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources",
      "components", "namespace", "configMapGenerator", "patches");
  private static final String KUSTOMIZATION = "kustomize.config.k8s.io/v1beta1/Kustomization";
  private static final String COMPONENT = "kustomize.config.k8s.io/v1alpha1/Component";
  /** Kinds without a namespace: kustomize's namespace field leaves them alone. */
  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "CustomResourceDefinition",
      "ClusterRole", "ClusterRoleBinding");

  /** The rendered objects, and every file that took part (kustomizations, resources, patches). */
  record Build(List<ObjectNode> objects, Set<Path> files) {
    List<ObjectNode> ofKind(String kind) {
      return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    ObjectNode get(String kind, String namespace, String name) {
      return objects.stream()
          .filter(o -> o.path("kind").asText().equals(kind)
              && o.path("metadata").path("name").asText().equals(name)
              && o.path("metadata").path("namespace").asText("").equals(namespace))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " " + namespace + "/" + name));
    }
  }

  private Kustomize() {}

  static Build build(Path dir) {
    Set<Path> files = new LinkedHashSet<>();
    List<ObjectNode> objects = build(dir.toAbsolutePath().normalize(), files);
    return new Build(List.copyOf(objects), Set.copyOf(files));
  }

  private static List<ObjectNode> build(Path dir, Set<Path> files) {
    return build(dir, files, KUSTOMIZATION, new ArrayList<>());
  }

  /**
   * Renders the kustomization (or component) in {@code dir}. A component adds its objects to
   * {@code out}, the objects of the kustomization that names it, and patches those as well.
   */
  private static List<ObjectNode> build(Path dir, Set<Path> files, String expectedKind, List<ObjectNode> out) {
    Path kfile = dir.resolve("kustomization.yaml");
    if (!Files.isRegularFile(kfile)) {
      throw new IllegalArgumentException(ModuleTree.relative(dir) + ": no kustomization.yaml");
    }
    files.add(kfile);
    ObjectNode k = ModuleTree.single(kfile);
    String where = ModuleTree.relative(kfile);
    String kind = k.path("apiVersion").asText() + "/" + k.path("kind").asText();
    if (!kind.equals(expectedKind)) {
      throw new IllegalArgumentException(where + ": is a " + kind + ", expected " + expectedKind
          + (expectedKind.equals(COMPONENT) ? " (components: names components only)" : " (resources: names no components)"));
    }
    for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!SUPPORTED.contains(f)) {
        throw new IllegalArgumentException(where + ": field '" + f + "' is not rendered by the tests");
      }
    }
    for (JsonNode r : k.path("resources")) {
      Path p = dir.resolve(r.asText()).normalize();
      if (Files.isDirectory(p)) {
        out.addAll(build(p, files));
      } else if (Files.isRegularFile(p)) {
        files.add(p);
        for (JsonNode d : ModuleTree.documents(p)) {
          if (!d.isObject()) {
            throw new IllegalArgumentException(ModuleTree.relative(p) + ": a document is not a mapping");
          }
          out.add((ObjectNode) d.deepCopy());
        }
      } else {
        throw new IllegalArgumentException(where + ": resources entry '" + r.asText() + "' does not exist");
      }
    }
    for (JsonNode c : k.path("components")) {
      Path p = dir.resolve(c.asText()).normalize();
      if (!Files.isDirectory(p)) {
        throw new IllegalArgumentException(where + ": components entry '" + c.asText() + "' is not a folder");
      }
      build(p, files, COMPONENT, out);
    }
    for (JsonNode g : k.path("configMapGenerator")) {
      out.add(configMap(dir, g, files, where));
    }
    String ns = k.path("namespace").asText(null);
    if (ns != null) {
      for (ObjectNode o : out) {
        if (!CLUSTER_SCOPED.contains(o.path("kind").asText())) {
          o.withObjectProperty("metadata").put("namespace", ns);
        }
      }
    }
    for (JsonNode patch : k.path("patches")) {
      Path p = dir.resolve(patch.path("path").asText()).normalize();
      if (!Files.isRegularFile(p) || patch.size() != 1) {
        throw new IllegalArgumentException(where + ": patch " + patch + " must be {path: <existing file>}");
      }
      files.add(p);
      ObjectNode patchDoc = ModuleTree.single(p);
      ObjectNode target = out.stream().filter(o -> sameObject(o, patchDoc)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(ModuleTree.relative(p) + ": patches no object of " + where));
      merge(target, patchDoc, ModuleTree.relative(p));
    }
    return out;
  }

  private static ObjectNode configMap(Path dir, JsonNode g, Set<Path> files, String where) {
    ObjectNode cm = JsonNodeFactory.instance.objectNode();
    cm.put("apiVersion", "v1");
    cm.put("kind", "ConfigMap");
    ObjectNode meta = cm.putObject("metadata");
    meta.put("name", g.path("name").asText());
    if (g.has("namespace")) {
      meta.put("namespace", g.path("namespace").asText());
    }
    ObjectNode data = cm.putObject("data");
    for (JsonNode f : g.path("files")) {
      String spec = f.asText();
      int eq = spec.indexOf('=');
      String file = eq < 0 ? spec : spec.substring(eq + 1);
      Path p = dir.resolve(file).normalize();
      if (!p.startsWith(dir)) {
        throw new IllegalArgumentException(where + ": generator file '" + file + "' is outside the kustomization root (kustomize refuses it)");
      }
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException(where + ": generator file '" + file + "' does not exist");
      }
      files.add(p);
      data.put(eq < 0 ? p.getFileName().toString() : spec.substring(0, eq), ModuleTree.read(p));
    }
    return cm;
  }

  private static boolean sameObject(JsonNode a, JsonNode b) {
    JsonNode bNs = b.path("metadata").path("namespace");
    return a.path("apiVersion").equals(b.path("apiVersion"))
        && a.path("kind").equals(b.path("kind"))
        && a.path("metadata").path("name").equals(b.path("metadata").path("name"))
        && (bNs.isMissingNode() || a.path("metadata").path("namespace").equals(bNs));
  }

  /** Strategic merge as kustomize applies it to these patches: maps merge, lists of named maps merge by name. */
  private static void merge(ObjectNode target, ObjectNode patch, String where) {
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (e.getKey().startsWith("$")) {
        throw new IllegalArgumentException(where + ": directive " + e.getKey() + " is not rendered by the tests");
      }
      JsonNode cur = target.get(e.getKey());
      JsonNode val = e.getValue();
      if (cur instanceof ObjectNode co && val instanceof ObjectNode vo) {
        merge(co, vo, where);
      } else if (cur instanceof ArrayNode ca && val instanceof ArrayNode va && namedMaps(ca) && namedMaps(va)) {
        // Items the target lacks come first, in the patch's order, as kustomize v5 renders them.
        int added = 0;
        for (JsonNode v : va) {
          ObjectNode match = null;
          for (JsonNode c : ca) {
            if (c.path("name").equals(v.path("name"))) {
              match = (ObjectNode) c;
            }
          }
          if (match == null) {
            ca.insert(added++, v.deepCopy());
          } else {
            merge(match, (ObjectNode) v, where);
          }
        }
      } else {
        target.set(e.getKey(), val.deepCopy());
      }
    }
  }

  private static boolean namedMaps(ArrayNode a) {
    for (JsonNode n : a) {
      if (!n.isObject() || !n.path("name").isTextual()) {
        return false;
      }
    }
    return true;
  }
}
