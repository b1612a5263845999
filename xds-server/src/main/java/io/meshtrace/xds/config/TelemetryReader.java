package io.meshtrace.xds.config;

import io.meshtrace.xds.config.MeshConfig.Service;
import io.meshtrace.xds.config.MeshConfig.TracingRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code telemetry:}, a list of Istio {@code Telemetry} resources
 * ({@code telemetry.istio.io/v1} or {@code v1alpha1}) pasted unchanged, into tracing rules.
 *
 * <p>Istio's hierarchy maps onto the rules' fold: a resource in the root namespace without
 * selector is mesh-wide (a rule without selector); one in another namespace without selector
 * selects the services of that namespace (a service's namespace is that of its Kubernetes
 * Service host, {@code reviews.bookinfo.svc.cluster.local}); {@code selector.matchLabels} on
 * {@code app}, {@code app.kubernetes.io/name} or {@code service.istio.io/canonical-name}, and
 * {@code targetRefs} of kind {@code Service}, select the service of that name. The rules come
 * in that order, mesh, namespace, workload, after the top-level {@code tracing} rules, so a
 * more specific resource overrides the fields it sets, and its {@code customTags} replace the
 * inherited ones, as in Istio. What the rules cannot express is refused with the reason.
 */
final class TelemetryReader {

  private static final Set<String> API_VERSIONS = Set.of("telemetry.istio.io/v1",
      "telemetry.istio.io/v1alpha1");
  /** Labels whose value is the workload's service name, as Istio derives its canonical name. */
  private static final Set<String> SERVICE_LABELS = Set.of("app", "app.kubernetes.io/name",
      "service.istio.io/canonical-name");
  private static final Set<String> METADATA_KEYS = Set.of("name", "namespace", "labels",
      "annotations", "uid", "resourceVersion", "generation", "creationTimestamp",
      "managedFields");
  private static final Set<String> TRACING_KEYS = Set.of("match", "providers",
      "randomSamplingPercentage", "disableSpanReporting", "customTags",
      "useRequestIdForTraceSampling", "enableIstioTags", "disableContextPropagation");

  private TelemetryReader() {}

  /** How far a resource reaches, from the widest; rules are ordered by it. */
  private enum Scope { MESH, NAMESPACE, WORKLOAD }

  /** The rules of every resource, mesh-wide first, then namespace, then workload rules. */
  static List<TracingRule> read(ConfigTree list, String rootNamespace, List<Service> services,
      References refs) {
    Map<Scope, List<TracingRule>> byScope = new HashMap<>();
    for (Scope s : Scope.values()) {
      byScope.put(s, new ArrayList<>());
    }
    Map<String, String> selectorless = new HashMap<>();
    Map<String, String> selectedBy = new HashMap<>();
    for (ConfigTree item : list.items()) {
      ConfigTree o = item.mapping(Set.of("apiVersion", "kind", "metadata", "spec", "status"));
      if (o == null) {
        continue;
      }
      String api = o.string("apiVersion", true);
      if (api != null && !API_VERSIONS.contains(api)) {
        o.error("apiVersion", api, "must be telemetry.istio.io/v1 or telemetry.istio.io/v1alpha1");
      }
      String kind = o.string("kind", true);
      if (kind != null && !kind.equals("Telemetry")) {
        o.error("kind", kind, "must be Telemetry");
      }
      ConfigTree meta = o.at("metadata").mapping(METADATA_KEYS);
      String namespace = meta == null ? null : meta.string("namespace", true);
      if (meta != null) {
        meta.string("name", true);
      }
      if (namespace != null && !ValueSyntax.isDnsLabel(namespace)) {
        meta.error("namespace", namespace, "must be a Kubernetes namespace name");
        namespace = null;
      }
      ConfigTree spec = o.at("spec").mapping(Set.of("selector", "targetRef", "targetRefs",
          "tracing", "metrics", "accessLogging"));
      if (spec == null || namespace == null) {
        continue;
      }
      for (String other : List.of("metrics", "accessLogging")) {
        if (spec.has(other)) {
          spec.problems().warn(spec.path() + "." + other
              + ": not served: meshtrace serves tracing only");
        }
      }
      int selectors = (spec.has("selector") ? 1 : 0) + (spec.has("targetRef") ? 1 : 0)
          + (spec.has("targetRefs") ? 1 : 0);
      if (selectors > 1) {
        spec.error("selector+targetRefs", "set at most one of selector, targetRef, targetRefs");
        continue;
      }
      Scope scope;
      List<String> selected;
      boolean refused = false;
      if (selectors == 1) {
        scope = Scope.WORKLOAD;
        selected = spec.has("selector")
            ? bySelector(spec.at("selector"), namespace, services, refs)
            : byTargetRefs(spec, namespace, services, refs);
        refused = selected == null;
        selected = refused ? List.of() : selected;
        for (String name : selected) {
          String first = selectedBy.putIfAbsent(namespace + "/" + name, o.path());
          if (first != null) {
            spec.error("selector", name, "already selected by " + first + "; Istio allows one"
                + " Telemetry per workload");
          }
        }
      } else {
        String first = selectorless.putIfAbsent(namespace, o.path());
        if (first != null) {
          o.error("metadata.namespace", namespace, "a second Telemetry without selector in this"
              + " namespace (first: " + first + "); Istio allows one");
          continue;
        }
        scope = namespace.equals(rootNamespace) ? Scope.MESH : Scope.NAMESPACE;
        selected = scope == Scope.MESH ? List.of() : inNamespace(namespace, services);
      }
      if (scope != Scope.MESH && selected.isEmpty() && !refused) {
        o.problems().warn(o.path() + ": selects no service of this mesh in namespace "
            + namespace + ", so it changes nothing");
      }
      for (ConfigTree t : spec.at("tracing").items()) {
        // Read also when the selection is refused or empty, so every problem is reported.
        TracingRule r = rule(t, selected, refs);
        if (r != null && (scope == Scope.MESH || !selected.isEmpty())) {
          byScope.get(scope).add(r);
        }
      }
    }
    List<TracingRule> out = new ArrayList<>();
    for (Scope s : Scope.values()) {
      out.addAll(byScope.get(s));
    }
    return List.copyOf(out);
  }

  private static TracingRule rule(ConfigTree item, List<String> selected, References refs) {
    ConfigTree o = item.mapping(TRACING_KEYS);
    if (o == null) {
      return null;
    }
    Boolean istioTags = o.bool("enableIstioTags");
    if (Boolean.TRUE.equals(istioTags)) {
      o.error("enableIstioTags", "true", "meshtrace adds no Istio tags (istio.canonical_service,"
          + " istio.namespace, ...); write false, and add the tags you need as customTags");
    }
    Boolean noPropagation = o.bool("disableContextPropagation");
    if (Boolean.TRUE.equals(noPropagation)) {
      o.error("disableContextPropagation", "true", "Envoy API v1.34's HCM tracing has no"
          + " no_context_propagation: the proxy always forwards the trace headers");
    }
    return new TracingRule(o.path(), selected, TracingReader.mode(o),
        TracingReader.provider(o, refs), o.percent("randomSamplingPercentage"), null, null,
        o.bool("useRequestIdForTraceSampling"), null, null, o.bool("disableSpanReporting"),
        CustomTagReader.read(o.at("customTags")), true);
  }

  /** {@code selector.matchLabels}: a label naming the service; null when refused. */
  private static List<String> bySelector(ConfigTree node, String namespace,
      List<Service> services, References refs) {
    ConfigTree sel = node.mapping(Set.of("matchLabels"));
    ConfigTree labels = sel == null ? null : sel.at("matchLabels");
    if (labels == null || labels.node() == null || !labels.node().isObject()
        || labels.node().isEmpty()) {
      (labels == null ? node : labels).error(labels == null ? node.text() : labels.text(),
          "must be a mapping of labels, e.g. app: reviews");
      return null;
    }
    Set<String> names = new LinkedHashSet<>();
    boolean ok = true;
    for (Map.Entry<String, ConfigTree> e : labels.entries().entrySet()) {
      String value = e.getValue().scalar();
      if (!SERVICE_LABELS.contains(e.getKey())) {
        e.getValue().error(value == null ? e.getValue().text() : value, "meshtrace selects"
            + " workloads by their service only, through the labels "
            + ConfigTree.sorted(SERVICE_LABELS) + "; it cannot match label " + e.getKey());
        ok = false;
      } else if (value != null) {
        refs.service(e.getValue().path(), value);
        names.add(value);
      }
    }
    if (names.size() > 1) {
      labels.error(names.toString(), "the labels name different services; a workload has one");
      return null;
    }
    return ok ? selectedIn(names, namespace, services) : null;
  }

  /** {@code targetRefs} (or Istio's hidden {@code targetRef}) of kind Service. */
  private static List<String> byTargetRefs(ConfigTree spec, String namespace,
      List<Service> services, References refs) {
    List<ConfigTree> refsList = spec.has("targetRef") ? List.of(spec.at("targetRef"))
        : spec.at("targetRefs").items();
    Set<String> names = new LinkedHashSet<>();
    boolean ok = !refsList.isEmpty();
    for (ConfigTree r : refsList) {
      ConfigTree o = r.mapping(Set.of("group", "kind", "name", "namespace"));
      if (o == null) {
        ok = false;
        continue;
      }
      String group = o.string("group", false);
      String kind = o.string("kind", true);
      String name = o.string("name", true);
      String refNamespace = o.string("namespace", false);
      if (refNamespace != null && !refNamespace.isEmpty() && !refNamespace.equals(namespace)) {
        o.error("namespace", refNamespace, "cross namespace references are not supported"
            + " (as in Istio): leave it out or write " + namespace);
        ok = false;
      }
      boolean core = group == null || group.isEmpty() || group.equals("core");
      if (kind != null && !(kind.equals("Service") && core)) {
        o.error("kind", (group == null || group.isEmpty() ? "" : group + "/") + kind,
            "meshtrace selects by Service (group \"\" or core) only: a Gateway, GatewayClass or"
            + " ServiceEntry has no service of this mesh to map to; select the gateway by its"
            + " service name");
        ok = false;
      } else if (kind != null && name != null) {
        refs.service(o.at("name").path(), name);
        names.add(name);
      }
    }
    return ok ? selectedIn(names, namespace, services) : null;
  }

  /** The named services that are in {@code namespace}, or in none that the mesh knows. */
  private static List<String> selectedIn(Set<String> names, String namespace,
      List<Service> services) {
    List<String> out = new ArrayList<>();
    for (Service s : services) {
      String ns = namespaceOf(s);
      if (names.contains(s.name()) && (ns == null || ns.equals(namespace))) {
        out.add(s.name());
      }
    }
    return List.copyOf(out);
  }

  private static List<String> inNamespace(String namespace, List<Service> services) {
    List<String> out = new ArrayList<>();
    for (Service s : services) {
      if (namespace.equals(namespaceOf(s))) {
        out.add(s.name());
      }
    }
    return List.copyOf(out);
  }

  /** The namespace of the first Kubernetes Service host of a service, or null. */
  static String namespaceOf(Service s) {
    for (String h : s.hosts()) {
      String ns = ServiceAddress.kubernetesNamespace(h);
      if (ns != null) {
        return ns;
      }
    }
    return null;
  }
}
