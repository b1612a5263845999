package io.meshtrace.xds.config;

import io.meshtrace.context.MeshPropagation;
import io.meshtrace.xds.config.MeshConfig.Mode;
import io.meshtrace.xds.config.MeshConfig.Propagation;
import io.meshtrace.xds.config.MeshConfig.TracingRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the tracing keys of the top level: {@code meshVersion}, {@code propagation},
 * {@code defaultProviders} (at the top level or in {@code meshConfig}) and the {@code tracing}
 * rules (Istio Telemetry's); {@link TelemetryReader} adds the rules of Telemetry resources.
 * Provider and service names are noted in {@link References}, checked once every section is
 * read.
 */
final class TracingReader {

  /** The tracing keys as read. */
  record Result(String meshVersion, Propagation propagation, boolean propagationExplicit,
      List<String> defaultProviders, List<TracingRule> rules) {
    /** The same keys with {@code more} rules after these. */
    Result withRules(List<TracingRule> more) {
      List<TracingRule> all = new ArrayList<>(rules);
      all.addAll(more);
      return new Result(meshVersion, propagation, propagationExplicit, defaultProviders,
          List.copyOf(all));
    }
  }

  private static final Set<String> RULE_KEYS = Set.of("selector", "match", "providers",
      "randomSamplingPercentage", "clientSamplingPercentage", "overallSamplingPercentage",
      "useRequestIdForTraceSampling", "maxPathTagLength", "verbose", "disableSpanReporting",
      "customTags");
  private static final String ONE_PROVIDER = "Envoy traces to one provider: name exactly one";

  private TracingReader() {}

  /** @param defaultProviders {@code defaultProviders} or {@code meshConfig.defaultProviders} */
  static Result read(ConfigTree root, ConfigTree defaultProviders, References refs) {
    String meshVersion = root.string("meshVersion", false);
    if (meshVersion != null && !MeshPropagation.isVersion(meshVersion)) {
      root.error("meshVersion", meshVersion, "must be a dotted version such as 1.18.0.124");
      meshVersion = null;
    }
    Propagation propagation = meshVersion == null ? Propagation.DEFAULT
        : Propagation.forMeshVersion(meshVersion);
    String written = root.string("propagation", false);
    if (written != null) {
      try {
        propagation = Propagation.parse(written);
      } catch (IllegalArgumentException e) {
        root.error("propagation", written, e.getMessage());
        propagation = Propagation.DEFAULT;
      }
    }
    return new Result(meshVersion, propagation, written != null,
        defaultProviders(defaultProviders, refs), rules(root.at("tracing"), refs));
  }

  private static List<String> defaultProviders(ConfigTree node, References refs) {
    List<String> out = new ArrayList<>();
    ConfigTree o = node.node() == null ? null
        : node.mapping(Set.of("tracing", "metrics", "accessLogging"));
    for (String other : List.of("metrics", "accessLogging")) {
      if (o != null && o.has(other)) {
        o.problems().warn(o.path() + "." + other + ": not served: meshtrace serves tracing only");
      }
    }
    if (o == null || o.at("tracing").node() == null) {
      return out;
    }
    for (ConfigTree item : o.at("tracing").items()) {
      String name = item.scalar();
      if (name != null) {
        refs.provider(item.path(), name);
        out.add(name);
      }
    }
    if (out.size() > 1) {
      o.error("tracing", out.toString(), ONE_PROVIDER);
    }
    return List.copyOf(out);
  }

  private static List<TracingRule> rules(ConfigTree node, References refs) {
    List<TracingRule> out = new ArrayList<>();
    for (ConfigTree item : node.items()) {
      ConfigTree o = item.mapping(RULE_KEYS);
      if (o == null) {
        continue;
      }
      List<String> selected = List.of();
      if (o.has("selector")) {
        ConfigTree sel = o.at("selector").mapping(Set.of("services"));
        if (sel != null && sel.has("services")) {
          List<String> names = new ArrayList<>();
          for (ConfigTree s : sel.at("services").items()) {
            String name = s.scalar();
            if (name != null) {
              refs.service(s.path(), name);
              names.add(name);
            }
          }
          selected = List.copyOf(names);
        }
      }
      out.add(new TracingRule(o.path(), selected, mode(o), provider(o, refs),
          o.percent("randomSamplingPercentage"),
          o.percent("clientSamplingPercentage"),
          o.percent("overallSamplingPercentage"),
          o.bool("useRequestIdForTraceSampling"),
          o.integer("maxPathTagLength", false, 1, 65535),
          o.bool("verbose"),
          o.bool("disableSpanReporting"),
          CustomTagReader.read(o.at("customTags")), false));
    }
    return List.copyOf(out);
  }

  /** A rule's {@code match.mode}; {@link TracingRule#DEFAULT_MODE} without one. */
  static Mode mode(ConfigTree rule) {
    Mode mode = TracingRule.DEFAULT_MODE;
    if (rule.has("match")) {
      ConfigTree m = rule.at("match").mapping(Set.of("mode"));
      if (m != null) {
        mode = m.choice("mode", Mode.class, mode,
            "must be one of CLIENT, SERVER, CLIENT_AND_SERVER");
      }
    }
    return mode;
  }

  /** The one provider a rule names, or null. */
  static String provider(ConfigTree rule, References refs) {
    if (!rule.has("providers")) {
      return null;
    }
    List<ConfigTree> items = rule.at("providers").items();
    if (items.size() > 1) {
      rule.error("providers", items.size() + " providers", ONE_PROVIDER);
    }
    String provider = null;
    for (ConfigTree item : items) {
      ConfigTree p = item.mapping(Set.of("name"));
      String name = p == null ? null : p.string("name", true);
      if (name != null) {
        refs.provider(p.at("name").path(), name);
        provider = provider == null ? name : provider;
      }
    }
    return provider;
  }
}
