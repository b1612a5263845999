package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * k8s/images/<name>/Dockerfile agrees with the Deployment that runs the image (no container
 * engine here: the images are not built, only checked against the manifests).
 */
class DockerfileTest {
  record Instruction(String op, String arg) {}

  static List<Instruction> parse(String text) {
    List<Instruction> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : text.split("\n")) {
      if (cur.isEmpty() && (line.isBlank() || line.startsWith("#"))) {
        continue;
      }
      if (line.endsWith("\\")) {
        cur.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      cur.append(line);
      String s = cur.toString().trim();
      int sp = s.indexOf(' ');
      out.add(new Instruction(s.substring(0, sp), s.substring(sp + 1).trim()));
      cur.setLength(0);
    }
    return out;
  }

  static String one(List<Instruction> ins, String op) {
    List<String> found = ins.stream().filter(i -> i.op().equals(op)).map(Instruction::arg).toList();
    assertThat(found).as(op).hasSize(1);
    return found.get(0);
  }

  static List<String> jsonArray(String arg) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode n : ModuleTree.YAML.readTree(arg)) {
      out.add(n.asText());
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({"xds-server", "ext-proc"})
  void dockerfile_buildsTheImageTheDeploymentRuns(String name) throws Exception {
    List<Instruction> ins = parse(ModuleTree.read(ModuleTree.file("images/" + name + "/Dockerfile")));
    // The image defaults to the file source (base/standalone); the standalone overlay runs it on
    // the Kubernetes source with its own args.
    String base = name.equals("xds-server") ? "base/standalone" : "overlays/istio";
    JsonNode d = RenderedOverlayTest.build(base).get("Deployment", "meshtrace", name);
    JsonNode pod = RenderedOverlayTest.podSpec(d);
    JsonNode c = pod.path("containers").get(0);

    assertThat(ins.get(0)).isEqualTo(new Instruction("FROM", "eclipse-temurin:17-jre"));
    assertThat(one(ins, "COPY")).isEqualTo(name + "/target/" + name + ".jar /app/" + name + ".jar");
    assertThat(jsonArray(one(ins, "ENTRYPOINT"))).containsExactly("java", "-jar", "/app/" + name + ".jar");
    List<String> args = new ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));
    assertThat(jsonArray(one(ins, "CMD"))).isEqualTo(args);
    assertThat(c.has("command")).as("the Deployment keeps the image's ENTRYPOINT").isFalse();
    assertThat(c.path("image").asText()).isEqualTo("ghcr.io/meshtrace/" + name + ":0.1.0");

    String user = one(ins, "USER");
    assertThat(user).isEqualTo(pod.path("securityContext").path("runAsUser").asInt() + ":" + pod.path("securityContext").path("runAsGroup").asInt());
    List<String> exposed = List.of(one(ins, "EXPOSE").split(" "));
    List<String> ports = new ArrayList<>();
    c.path("ports").forEach(p -> ports.add(String.valueOf(p.path("containerPort").asInt())));
    assertThat(exposed).isEqualTo(ports);
  }
}
