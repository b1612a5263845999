package io.meshtrace.xds.config;

import java.util.Set;

/**
 * Reads the top-level {@code meshConfig:} block, Istio's MeshConfig as it stands in an
 * IstioOperator's {@code spec.meshConfig} or the istiod Helm chart's values, pasted unchanged:
 * its {@code extensionProviders} and {@code defaultProviders} take the place of the top-level
 * keys of the same names, {@code rootNamespace} says which Telemetry resources are mesh-wide.
 * Of the rest only what changes nothing meshtrace serves is accepted: {@code enableTracing}
 * (with a provider in use, Istio ignores it too) and {@code defaultConfig: {tracing: {}}}
 * (ProxyConfig's legacy tracing off, as Istio's Telemetry API task writes it).
 */
final class IstioMeshConfigReader {

  /** Istio's default root namespace: its Telemetry resources without selector are mesh-wide. */
  static final String DEFAULT_ROOT_NAMESPACE = "istio-system";

  /**
   * What the block says.
   *
   * @param extensionProviders the providers' list, from {@code meshConfig} or the top level
   * @param defaultProviders likewise
   * @param rootNamespace {@code meshConfig.rootNamespace}, default {@code istio-system}
   * @param enableTracing {@code meshConfig.enableTracing}, or null
   */
  record Result(ConfigTree extensionProviders, ConfigTree defaultProviders, String rootNamespace,
      Boolean enableTracing) {}

  private IstioMeshConfigReader() {}

  static Result read(ConfigTree root) {
    if (!root.has("meshConfig")) {
      return new Result(root.at("extensionProviders"), root.at("defaultProviders"),
          DEFAULT_ROOT_NAMESPACE, null);
    }
    ConfigTree mc = root.at("meshConfig").mapping(Set.of("extensionProviders",
        "defaultProviders", "enableTracing", "defaultConfig", "rootNamespace"));
    if (mc == null) {
      return new Result(root.at("extensionProviders"), root.at("defaultProviders"),
          DEFAULT_ROOT_NAMESPACE, null);
    }
    ConfigTree providers = pick(root, mc, "extensionProviders");
    ConfigTree defaults = pick(root, mc, "defaultProviders");
    String rootNamespace = mc.string("rootNamespace", false);
    if (rootNamespace != null && !ValueSyntax.isDnsLabel(rootNamespace)) {
      mc.error("rootNamespace", rootNamespace, "must be a Kubernetes namespace name");
      rootNamespace = null;
    }
    if (mc.has("defaultConfig")) {
      ConfigTree dc = mc.at("defaultConfig").mapping(Set.of("tracing"));
      ConfigTree legacy = dc == null ? null : dc.at("tracing");
      if (legacy != null && legacy.node() != null
          && !(legacy.node().isObject() && legacy.node().isEmpty())) {
        legacy.error(legacy.text(), "ProxyConfig's legacy tracing is not served; write"
            + " tracing: {} (off) and configure tracing with extensionProviders and Telemetry");
      }
    }
    return new Result(providers, defaults,
        rootNamespace == null ? DEFAULT_ROOT_NAMESPACE : rootNamespace, mc.bool("enableTracing"));
  }

  /**
   * Istio's {@code enableTracing: true} without any provider in use means ProxyConfig's legacy
   * tracer, which is not served: refused rather than served without tracing.
   */
  static void checkEnableTracing(Result mesh, TracingReader.Result tracing, Problems problems) {
    boolean anyProvider = !tracing.defaultProviders().isEmpty();
    for (MeshConfig.TracingRule r : tracing.rules()) {
      anyProvider |= r.provider() != null;
    }
    if (Boolean.TRUE.equals(mesh.enableTracing()) && !anyProvider) {
      problems.error("meshConfig.enableTracing", "true", "without a provider Istio traces with"
          + " ProxyConfig's legacy tracer, which meshtrace does not serve; name a provider in"
          + " meshConfig.defaultProviders.tracing or a Telemetry resource");
    }
  }

  /** {@code key} of {@code meshConfig}, or of the top level; written in both is an error. */
  private static ConfigTree pick(ConfigTree root, ConfigTree mc, String key) {
    if (mc.has(key) && root.has(key)) {
      mc.error(key, mc.at(key).text(), "also written at the top level; write " + key
          + " once, in meshConfig or at the top level");
    }
    return mc.has(key) ? mc.at(key) : root.at(key);
  }
}
