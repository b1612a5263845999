package io.meshtrace.k8s;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What each shipped YAML file of k8s/ is, so that every one of them is checked by some test. */
final class Layout {
  /** The gateway bootstrap of components/mtls: ADS over mTLS. */
  static final String MTLS_BOOTSTRAP = "components/mtls/gateway-bootstrap.yaml";

  /** xds-server's config in components/mtls: base/standalone's plus the TLS settings. */
  static final String MTLS_XDS = "components/mtls/config/xds.yaml";

  static final List<String> OVERLAYS = List.of("overlays/standalone", "overlays/istio", "overlays/istio-gateway-untraced", "overlays/mtls");

  static final List<String> ENVOY_CONFIGS =
      List.of("envoy/gateway-bootstrap.yaml", "envoy/sidecar-bootstrap.yaml", "envoy/gateway-static.yaml", MTLS_BOOTSTRAP);

  static final List<String> COMPONENT_CONFIGS = List.of("base/standalone/config/xds.yaml",
      "base/common/config/ext-proc.yaml", "base/common/config/otel-collector.yaml", MTLS_XDS);

  /** Kustomizations applied on their own before the overlays (CRDs: see k8s/README.md). */
  static final List<String> INSTALL_FIRST = List.of("crds");

  /** The MeshTracing CRD, the output of xds-server's generator. */
  static final String CRD = "crds/meshtracings.meshtrace.io.yaml";

  /** The Bookinfo mesh as a MeshTracing: the spec of the Kubernetes source. */
  static final String MESH_TRACING = "components/kubernetes-source/meshtracing.yaml";

  /** Every kustomization an operator applies: the overlays and what goes first. */
  static List<String> entryPoints() {
    List<String> all = new java.util.ArrayList<>(INSTALL_FIRST);
    all.addAll(OVERLAYS);
    return all;
  }

  /**
   * Applied by istioctl, or by kubectl apply -f once the OpenTelemetry Operator is installed,
   * not by kubectl apply -k: schema-checked but in no kustomization.
   */
  static final List<String> INSTALL_ONLY =
      List.of("overlays/istio/install/istio-operator.yaml", "operator/instrumentation.yaml");

  private Layout() {}

  /** Files kustomizations use as strategic-merge patches (partial objects). */
  static Set<String> patchFiles() {
    Set<String> out = new TreeSet<>();
    for (Path p : ModuleTree.shippedYamlFiles()) {
      if (p.getFileName().toString().equals("kustomization.yaml")) {
        for (var patch : ModuleTree.single(p).path("patches")) {
          out.add(ModuleTree.relative(p.getParent().resolve(patch.path("path").asText()).normalize()));
        }
      }
    }
    return out;
  }

  /** Kubernetes / Istio / kustomize objects: every shipped YAML file that is none of the above. */
  static List<Path> manifestFiles() {
    Set<String> other = new TreeSet<>(ENVOY_CONFIGS);
    other.addAll(COMPONENT_CONFIGS);
    other.addAll(patchFiles());
    return ModuleTree.shippedYamlFiles().stream().filter(p -> !other.contains(ModuleTree.relative(p))).toList();
  }
}
