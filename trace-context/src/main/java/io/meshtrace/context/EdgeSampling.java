package io.meshtrace.context;

/**
 * What the gateway does with sampling decisions that arrive from outside the mesh.
 */
public enum EdgeSampling {
  /** Keep incoming decisions, as Envoy does. The default. */
  TRUST("trust"),
  /** Drop incoming decisions (keep the ids) and let the mesh sample. */
  DEFER("defer"),
  /** Drop debug / forced sampling from outside; keep ids and plain accept/deny decisions. */
  DENY_FORCED("deny-forced");

  private final String configName;

  EdgeSampling(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** Parses a configuration name; returns null when {@code name} is not one of them. */
  public static EdgeSampling fromConfigName(String name) {
    for (EdgeSampling policy : values()) {
      if (policy.configName.equals(name)) {
        return policy;
      }
    }
    return null;
  }
}
