package io.meshtrace.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cross-references inside what {@code kubectl apply -k overlays/<name>} applies: every name one
 * object uses must exist in another, the way the cluster would resolve it.
 */
class RenderedOverlayTest {
  /** Namespaces that the overlays use but that Istio's installation creates. */
  private static final Set<String> EXTERNAL_NAMESPACES = Set.of("istio-system");
  /** Secrets the operator creates before applying (README "Deploy"). */
  private static final Set<String> OPERATOR_SECRETS = Set.of("meshtrace/meshtrace-admin");

  static Stream<String> overlays() {
    return Layout.OVERLAYS.stream();
  }

  static Kustomize.Build build(String overlay) {
    return Kustomize.build(ModuleTree.root().resolve(overlay));
  }

  static String ns(JsonNode o) {
    return o.path("metadata").path("namespace").asText("");
  }

  static String name(JsonNode o) {
    return o.path("metadata").path("name").asText();
  }

  static JsonNode podSpec(JsonNode deployment) {
    return deployment.path("spec").path("template").path("spec");
  }

  static boolean selects(JsonNode selector, JsonNode labels) {
    if (selector.isEmpty()) {
      return false;
    }
    for (Map.Entry<String, JsonNode> e : selector.properties()) {
      if (!e.getValue().equals(labels.path(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  static List<ObjectNode> selected(Kustomize.Build b, String namespace, JsonNode selector) {
    return b.ofKind("Deployment").stream()
        .filter(d -> ns(d).equals(namespace) && selects(selector, d.path("spec").path("template").path("metadata").path("labels")))
        .toList();
  }

  /** Does a port reference (name or number) name a container port of the pod? */
  static boolean hasContainerPort(JsonNode podSpec, JsonNode port) {
    for (JsonNode c : podSpec.path("containers")) {
      for (JsonNode p : c.path("ports")) {
        if (port.isInt() ? p.path("containerPort").asInt() == port.asInt() : p.path("name").asText().equals(port.asText())) {
          return true;
        }
      }
    }
    return false;
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void objects_areUniqueAndTheirNamespacesExist(String overlay) {
    Kustomize.Build b = build(overlay);
    Set<String> ids = new HashSet<>();
    Set<String> namespaces = new HashSet<>(EXTERNAL_NAMESPACES);
    b.ofKind("Namespace").forEach(n -> namespaces.add(name(n)));

    for (ObjectNode o : b.objects()) {
      assertThat(ids.add(o.path("kind").asText() + "/" + ns(o) + "/" + name(o))).as("duplicate %s %s", o.path("kind"), name(o)).isTrue();
      if (!o.path("kind").asText().equals("Namespace")) {
        assertThat(namespaces).as("namespace of %s %s", o.path("kind").asText(), name(o)).contains(ns(o));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void deployments_selectTheirOwnPods(String overlay) {
    for (ObjectNode d : build(overlay).ofKind("Deployment")) {
      assertThat(selects(d.path("spec").path("selector").path("matchLabels"), d.path("spec").path("template").path("metadata").path("labels")))
          .as("selector of Deployment %s", name(d)).isTrue();
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void configMapVolumes_referToExistingConfigMapsAndKeys(String overlay) {
    Kustomize.Build b = build(overlay);
    int checked = 0;
    for (ObjectNode d : b.ofKind("Deployment")) {
      for (JsonNode v : podSpec(d).path("volumes")) {
        if (v.has("configMap")) {
          ObjectNode cm = b.get("ConfigMap", ns(d), v.path("configMap").path("name").asText());
          for (JsonNode item : v.path("configMap").path("items")) {
            assertThat(cm.path("data").has(item.path("key").asText()))
                .as("key %s of ConfigMap %s used by %s", item.path("key").asText(), name(cm), name(d)).isTrue();
            checked++;
          }
        }
      }
    }
    assertThat(checked).isPositive();
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void volumeMounts_referToVolumesOfThePod(String overlay) {
    for (ObjectNode d : build(overlay).ofKind("Deployment")) {
      Set<String> volumes = new HashSet<>();
      podSpec(d).path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
      for (JsonNode c : podSpec(d).path("containers")) {
        for (JsonNode m : c.path("volumeMounts")) {
          assertThat(volumes).as("volumeMount %s of %s", m.path("name").asText(), name(d)).contains(m.path("name").asText());
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void serviceSelectors_matchDeploymentPods_andTargetPortsExist(String overlay) {
    Kustomize.Build b = build(overlay);
    for (ObjectNode s : b.ofKind("Service")) {
      List<ObjectNode> pods = selected(b, ns(s), s.path("spec").path("selector"));
      assertThat(pods).as("Deployments selected by Service %s/%s", ns(s), name(s)).isNotEmpty();
      for (JsonNode port : s.path("spec").path("ports")) {
        for (ObjectNode d : pods) {
          assertThat(hasContainerPort(podSpec(d), port.path("targetPort")))
              .as("targetPort %s of Service %s in Deployment %s", port.path("targetPort"), name(s), name(d)).isTrue();
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void probePorts_areContainerPorts(String overlay) {
    int checked = 0;
    for (ObjectNode d : build(overlay).ofKind("Deployment")) {
      for (JsonNode c : podSpec(d).path("containers")) {
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
          JsonNode p = c.path(probe);
          if (p.isMissingNode()) {
            continue;
          }
          JsonNode handler = p.has("httpGet") ? p.path("httpGet") : p.has("tcpSocket") ? p.path("tcpSocket") : p.path("grpc");
          assertThat(hasContainerPort(podSpec(d), handler.path("port")))
              .as("%s port %s of %s", probe, handler.path("port"), name(d)).isTrue();
          checked++;
        }
      }
    }
    assertThat(checked).isPositive();
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void podDisruptionBudgets_coverDeploymentsWithMoreReplicasThanMinAvailable(String overlay) {
    Kustomize.Build b = build(overlay);
    for (ObjectNode pdb : b.ofKind("PodDisruptionBudget")) {
      List<ObjectNode> pods = selected(b, ns(pdb), pdb.path("spec").path("selector").path("matchLabels"));
      assertThat(pods).as("PDB %s", name(pdb)).hasSize(1);
      assertThat(pods.get(0).path("spec").path("replicas").asInt())
          .as("replicas behind PDB %s", name(pdb)).isGreaterThan(pdb.path("spec").path("minAvailable").asInt());
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void serviceAccountsAndSecrets_exist(String overlay) {
    Kustomize.Build b = build(overlay);
    for (ObjectNode d : b.ofKind("Deployment")) {
      JsonNode sa = podSpec(d).path("serviceAccountName");
      if (!sa.isMissingNode()) {
        b.get("ServiceAccount", ns(d), sa.asText());
      }
      for (JsonNode c : podSpec(d).path("containers")) {
        for (JsonNode env : c.path("env")) {
          JsonNode ref = env.path("valueFrom").path("secretKeyRef");
          if (!ref.isMissingNode()) {
            assertThat(OPERATOR_SECRETS).contains(ns(d) + "/" + ref.path("name").asText());
          }
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void secretVolumes_referToSecretsMadeByACertificateOfTheOverlay(String overlay) {
    Kustomize.Build b = build(overlay);
    Set<String> made = new HashSet<>();
    for (ObjectNode c : b.ofKind("Certificate")) {
      made.add(ns(c) + "/" + c.path("spec").path("secretName").asText());
    }
    for (ObjectNode d : b.ofKind("Deployment")) {
      for (JsonNode v : podSpec(d).path("volumes")) {
        if (v.has("secret")) {
          String secret = ns(d) + "/" + v.path("secret").path("secretName").asText();
          assertThat(made).as("Secret volume %s of %s", secret, name(d)).contains(secret);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void meshtraceWorkloads_runHardened(String overlay) {
    for (ObjectNode d : build(overlay).ofKind("Deployment")) {
      if (!ns(d).equals("meshtrace")) {
        continue; // Bookinfo is the upstream sample, kept as Istio ships it
      }
      JsonNode pod = podSpec(d);
      assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).as("runAsNonRoot of %s", name(d)).isTrue();
      assertThat(pod.path("securityContext").path("runAsUser").asInt()).as("runAsUser of %s", name(d)).isPositive();
      // A token only for a workload that talks to the API (a RoleBinding names its account).
      assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).as("token of %s", name(d))
          .isEqualTo(boundAccounts(build(overlay)).contains(pod.path("serviceAccountName").asText()));
      for (JsonNode c : pod.path("containers")) {
        JsonNode sc = c.path("securityContext");
        assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).as("read-only rootfs of %s", name(d)).isTrue();
        assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).as("privilege escalation of %s", name(d)).isFalse();
        assertThat(c.path("resources").path("requests").has("memory")).as("memory request of %s", name(d)).isTrue();
        assertThat(c.path("resources").path("limits").has("memory")).as("memory limit of %s", name(d)).isTrue();
        if (!name(d).equals("traffic")) { // a client: nothing to probe
          assertThat(c.has("readinessProbe") && c.has("livenessProbe")).as("probes of %s", name(d)).isTrue();
        }
      }
    }
  }

  /** Service accounts that a RoleBinding grants something. */
  static java.util.Set<String> boundAccounts(Kustomize.Build b) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (ObjectNode rb : b.ofKind("RoleBinding")) {
      for (JsonNode s : rb.path("subjects")) {
        if (s.path("kind").asText().equals("ServiceAccount")) {
          out.add(s.path("name").asText());
        }
      }
    }
    return out;
  }

  /** A meshtrace service started as {@code serve --config F --port P --admin-port A}. */
  static void assertServeContract(Kustomize.Build b, String deployment, int grpcPort, int adminPort, String configFile) {
    assertServeContract(b, deployment, grpcPort, adminPort, List.of("--config", configFile));
    assertThat(mountedFile(b, b.get("Deployment", "meshtrace", deployment), configFile)).as("%s mounted in %s", configFile, deployment).isNotNull();
  }

  /** A meshtrace service started as {@code serve --bind 0.0.0.0 SOURCE... --port P --admin-port A}. */
  static void assertServeContract(Kustomize.Build b, String deployment, int grpcPort, int adminPort, List<String> source) {
    ObjectNode d = b.get("Deployment", "meshtrace", deployment);
    JsonNode c = podSpec(d).path("containers").get(0);
    List<String> args = new ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));
    List<String> expected = new ArrayList<>(List.of("serve", "--bind", "0.0.0.0"));
    expected.addAll(source);
    expected.addAll(List.of("--port", String.valueOf(grpcPort), "--admin-port", String.valueOf(adminPort)));
    assertThat(args).as("listens on every interface: other pods and the kubelet reach it").isEqualTo(expected);
    assertThat(d.path("spec").path("replicas").asInt()).isEqualTo(2);
    assertThat(hasContainerPort(podSpec(d), c.path("readinessProbe").path("httpGet").path("port"))).isTrue();
    assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
    assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/healthz");
    assertThat(containerPortNumber(c, c.path("readinessProbe").path("httpGet").path("port").asText())).isEqualTo(adminPort);
  }

  static int containerPortNumber(JsonNode container, String name) {
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(name)) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port " + name);
  }

  /** Content of the ConfigMap item mounted at {@code path} in the Deployment's first container. */
  static String mountedFile(Kustomize.Build b, JsonNode d, String path) {
    for (JsonNode m : podSpec(d).path("containers").get(0).path("volumeMounts")) {
      String dir = m.path("mountPath").asText();
      for (JsonNode v : podSpec(d).path("volumes")) {
        if (!v.path("name").equals(m.path("name")) || !v.has("configMap")) {
          continue;
        }
        for (JsonNode item : v.path("configMap").path("items")) {
          if ((dir + "/" + item.path("path").asText()).equals(path)) {
            return b.get("ConfigMap", ns(d), v.path("configMap").path("name").asText()).path("data").path(item.path("key").asText()).asText();
          }
        }
      }
    }
    return null;
  }

  static void assertResolves(Kustomize.Build b, ServiceAddress a) {
    ObjectNode s = b.get("Service", a.namespace(), a.service());
    boolean port = false;
    for (JsonNode p : s.path("spec").path("ports")) {
      port |= p.path("port").asInt() == a.port();
    }
    assertThat(port).as("Service port of %s", a).isTrue();
  }
}
