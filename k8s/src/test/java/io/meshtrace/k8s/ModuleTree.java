package io.meshtrace.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The k8s/ folder as the tests see it: its files and their YAML documents. */
final class ModuleTree {
  static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());

  private ModuleTree() {}

  /** The module's root folder (Surefire runs with the module as working directory). */
  static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    if (!Files.isRegularFile(dir.resolve("pom.xml")) || !Files.isDirectory(dir.resolve("envoy"))) {
      throw new IllegalStateException("not the k8s module folder: " + dir);
    }
    return dir;
  }

  static Path file(String relative) {
    Path p = root().resolve(relative);
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("missing file k8s/" + relative);
    }
    return p;
  }

  static String relative(Path p) {
    return root().relativize(p.toAbsolutePath()).toString().replace('\\', '/');
  }

  /** Every *.yaml / *.yml file shipped in k8s/ (not the test sources, not build output). */
  static List<Path> shippedYamlFiles() {
    Path root = root();
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> {
            String r = relative(p);
            return !r.startsWith("src/") && !r.startsWith("target/")
                && (r.endsWith(".yaml") || r.endsWith(".yml"));
          })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** All documents of a multi-document YAML text; empty documents are dropped. */
  static List<JsonNode> documents(String yaml, String where) {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNextValue()) {
        JsonNode n = it.nextValue();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          docs.add(n);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": not valid YAML: " + e.getMessage(), e);
    }
    return docs;
  }

  static List<JsonNode> documents(Path p) {
    return documents(read(p), relative(p));
  }

  /** The single document of a YAML file that must hold exactly one. */
  static ObjectNode single(Path p) {
    List<JsonNode> docs = documents(p);
    if (docs.size() != 1 || !docs.get(0).isObject()) {
      throw new IllegalArgumentException(relative(p) + ": expected one YAML mapping, got " + docs.size() + " documents");
    }
    return (ObjectNode) docs.get(0);
  }
}
