package io.meshtrace.xds.config;

import io.meshtrace.context.HttpToken;
import io.meshtrace.xds.config.MeshConfig.CustomTag;
import io.meshtrace.xds.config.MeshConfig.MetadataKind;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code customTags} (of a tracing rule or a route's tracing): tag name to one of
 * {@code literal}, {@code environment}, {@code header}, {@code metadata}.
 */
final class CustomTagReader {

  private CustomTagReader() {}

  /** The tags by name in file order, or null when the key is absent. */
  static Map<String, CustomTag> read(ConfigTree node) {
    if (node.node() == null) {
      return null;
    }
    if (!node.node().isObject()) {
      node.error(node.text(), "must be a mapping of tag name to literal, environment, "
          + "header or metadata");
      return null;
    }
    Map<String, CustomTag> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigTree> e : node.entries().entrySet()) {
      String tag = e.getKey();
      if (ValueSyntax.hasControl(tag) || tag.isBlank()) {
        e.getValue().error(ValueSyntax.shorten(tag, 60),
            "tag name must be non-empty without control characters");
        continue;
      }
      ConfigTree o = e.getValue().mapping(Set.of("literal", "environment", "header",
          "metadata", "formatter"));
      if (o == null) {
        continue;
      }
      List<String> kinds = o.keys();
      if (kinds.size() != 1) {
        o.error(kinds.isEmpty() ? "(none)" : kinds.toString(),
            "set exactly one of literal, environment, header, metadata");
        continue;
      }
      ConfigTree k = o.at(kinds.get(0));
      CustomTag t;
      switch (kinds.get(0)) {
        case "literal":
          t = literal(k, tag);
          break;
        case "environment":
          t = environment(k, tag);
          break;
        case "header":
          t = header(k, tag);
          break;
        case "metadata":
          t = metadata(k, tag);
          break;
        case "formatter":
          // Istio Telemetry's formatter tag is Envoy's CustomTag.value, newer than v1.34.
          o.error("formatter", k.text(), "Envoy API v1.34's CustomTag has no formatter (value)"
              + " kind; use literal, environment, header or metadata");
          t = null;
          break;
        default:
          t = null; // an unknown key, reported by mapping()
      }
      if (t != null) {
        out.put(tag, t);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private static CustomTag literal(ConfigTree node, String tag) {
    ConfigTree o = node.mapping(Set.of("value"));
    String value = o == null ? null : o.string("value", true);
    if (value != null && ValueSyntax.hasControl(value)) {
      o.error("value", ValueSyntax.shorten(value, 60), "must not contain control characters");
      return null;
    }
    return value == null ? null : new CustomTag.Literal(node.path(), tag, value);
  }

  private static CustomTag environment(ConfigTree node, String tag) {
    ConfigTree o = node.mapping(Set.of("name", "defaultValue"));
    if (o == null) {
      return null;
    }
    String name = o.string("name", true);
    String dflt = o.string("defaultValue", false);
    return name == null ? null : new CustomTag.Environment(node.path(), tag, name, dflt);
  }

  private static CustomTag header(ConfigTree node, String tag) {
    ConfigTree o = node.mapping(Set.of("name", "defaultValue"));
    if (o == null) {
      return null;
    }
    String name = o.string("name", true);
    String dflt = o.string("defaultValue", false);
    if (name != null && !HttpToken.isToken(name)) {
      o.error("name", name, "must be an HTTP header name (no spaces or colons)");
      return null;
    }
    return name == null ? null : new CustomTag.RequestHeader(node.path(), tag, name, dflt);
  }

  private static CustomTag metadata(ConfigTree node, String tag) {
    ConfigTree o = node.mapping(Set.of("kind", "key", "path", "defaultValue"));
    if (o == null) {
      return null;
    }
    MetadataKind kind = o.choice("kind", MetadataKind.class, MetadataKind.DEFAULT,
        "must be one of request, route, cluster, host");
    String key = o.string("key", false);
    List<String> keyPath = o.at("path").strings();
    String dflt = o.string("defaultValue", false);
    // key and path are left to Envoy's own rules (MetadataKey.key min_len 1, path min_items 1):
    // the snapshot check reports them under this path.
    return new CustomTag.Metadata(node.path(), tag, kind, key, keyPath, dflt);
  }
}
