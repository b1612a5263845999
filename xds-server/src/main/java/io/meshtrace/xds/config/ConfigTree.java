package io.meshtrace.xds.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A place in the config tree that knows its key path ({@code services[2].ports[0]}), so every
 * value read from it is checked and every problem names where it is: the path, the value as
 * written and what was expected, {@code services[2].ports[0].number=0: must be a port between 1
 * and 65535}. A missing key is a tree whose {@link #node()} is null. Readers report into the
 * shared {@link Problems} and carry on, so one pass finds everything wrong.
 */
final class ConfigTree {

  private final JsonNode node;
  private final String path;
  private final Problems problems;
  private final Path baseDir;

  private ConfigTree(JsonNode node, String path, Problems problems, Path baseDir) {
    this.node = node;
    this.path = path;
    this.problems = problems;
    this.baseDir = baseDir;
  }

  /** The document root; relative {@link #file} paths resolve against {@code baseDir}. */
  static ConfigTree root(JsonNode node, Problems problems, Path baseDir) {
    return new ConfigTree(node, "", problems, baseDir);
  }

  String path() {
    return path;
  }

  /** The node here: null when the key is absent, a {@code NullNode} when written empty. */
  JsonNode node() {
    return node;
  }

  Problems problems() {
    return problems;
  }

  /** Whether this mapping has {@code key}, with any value. */
  boolean has(String key) {
    return node != null && node.has(key);
  }

  /** The value under {@code key} of this mapping. */
  ConfigTree at(String key) {
    return new ConfigTree(node == null ? null : node.get(key), childPath(key), problems, baseDir);
  }

  /** Reports {@code path=value: expected} at this place. */
  void error(String value, String expected) {
    problems.error(path.isEmpty() ? "(root)" : path, value, expected);
  }

  /** Reports a problem at {@code key} below this place. */
  void error(String key, String value, String expected) {
    problems.error(childPath(key), value, expected);
  }

  /** The value as it reads in a problem line: escaped, at most 60 characters. */
  String text() {
    return node == null ? "(missing)"
        : ValueSyntax.shorten(node.isValueNode() ? node.asText() : node.toString(), 60);
  }

  // ------------------------------------------------------------------- structure

  /**
   * This place as a mapping whose keys are all in {@code allowed}; unknown keys are reported.
   * Returns null (reported) when it is not a mapping.
   */
  ConfigTree mapping(Set<String> allowed) {
    return mapping(allowed, false);
  }

  /**
   * Like {@link #mapping(Set)}, for a place that may hold a secret: no problem line shows a
   * value written here ({@code (hidden)} instead), since a misspelt key may still hold one.
   */
  ConfigTree secretMapping(Set<String> allowed) {
    return mapping(allowed, true);
  }

  private ConfigTree mapping(Set<String> allowed, boolean hidden) {
    if (node == null || !node.isObject()) {
      error(hidden && node != null ? HIDDEN : text(), "must be a mapping");
      return null;
    }
    Iterator<String> it = node.fieldNames();
    while (it.hasNext()) {
      String k = it.next();
      if (!allowed.contains(k)) {
        ConfigTree v = at(k);
        v.error(hidden ? HIDDEN : v.text(), "unknown key; expected one of " + sorted(allowed));
      }
    }
    return this;
  }

  /** What a problem line shows instead of a value that may be secret. */
  static final String HIDDEN = "(hidden)";

  /** The items of a list, each knowing its index; absent or null is empty. */
  List<ConfigTree> items() {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      error(text(), "must be a list");
      return List.of();
    }
    List<ConfigTree> out = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      out.add(new ConfigTree(node.get(i), path + "[" + i + "]", problems, baseDir));
    }
    return out;
  }

  /** The entries of a mapping, in file order (the caller has checked it is one). */
  Map<String, ConfigTree> entries() {
    Map<String, ConfigTree> out = new LinkedHashMap<>();
    node.fieldNames().forEachRemaining(k -> out.put(k, at(k)));
    return out;
  }

  /** The keys of a mapping, in file order. */
  List<String> keys() {
    List<String> out = new ArrayList<>();
    if (node != null) {
      node.fieldNames().forEachRemaining(out::add);
    }
    return out;
  }

  /** The strings of a list ({@code hosts: [a, b]}); items that are not are reported. */
  List<String> strings() {
    List<String> out = new ArrayList<>();
    for (ConfigTree item : items()) {
      String s = item.scalar();
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------- values

  /** This place as a string (any scalar); null, reported, when it is not one. */
  String scalar() {
    if (node == null || !node.isValueNode() || node.isNull()) {
      error(text(), "must be a string");
      return null;
    }
    return node.asText();
  }

  /** The string under {@code key}; required ones must not be blank. */
  String string(String key, boolean required) {
    ConfigTree v = at(key);
    if (v.node == null || v.node.isNull()) {
      if (required) {
        v.error("(missing)", "required");
      }
      return null;
    }
    String s = v.scalar();
    if (s != null && required && s.isBlank()) {
      v.error("\"\"", "must not be empty");
      return null;
    }
    return s;
  }

  Boolean bool(String key) {
    ConfigTree v = at(key);
    if (v.node == null || v.node.isNull()) {
      return null;
    }
    if (!v.node.isBoolean()) {
      v.error(v.node.asText(), "must be true or false");
      return null;
    }
    return v.node.booleanValue();
  }

  Integer integer(String key, boolean required, int min, int max) {
    ConfigTree v = at(key);
    if (v.node == null || v.node.isNull()) {
      if (required) {
        v.error("(missing)", "required");
      }
      return null;
    }
    if (!v.node.isIntegralNumber() || !v.node.canConvertToInt()) {
      v.error(v.node.asText(), "must be an integer between " + min + " and " + max);
      return null;
    }
    int n = v.node.intValue();
    if (n < min || n > max) {
      v.error(v.node.asText(), "must be between " + min + " and " + max);
      return null;
    }
    return n;
  }

  /** A port a peer listens on: 1-65535. */
  Integer port(String key, boolean required) {
    ConfigTree v = at(key);
    if (v.node == null || v.node.isNull()) {
      if (required) {
        v.error("(missing)", "required (a port between 1 and 65535)");
      }
      return null;
    }
    return v.portValue();
  }

  /** This place as a port, 1-65535. */
  Integer portValue() {
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 1
        || node.intValue() > 65535) {
      error(node.asText(), "must be a port between 1 and 65535");
      return null;
    }
    return node.intValue();
  }

  /** A port this server listens on: 0 (any free port) to 65535. */
  Integer portOrZero(String key) {
    ConfigTree v = at(key);
    if (v.node == null || v.node.isNull()) {
      return null;
    }
    if (!v.node.isIntegralNumber() || !v.node.canConvertToInt() || v.node.intValue() < 0
        || v.node.intValue() > 65535) {
      v.error(v.node.asText(), "must be a port between 0 and 65535");
      return null;
    }
    return v.node.intValue();
  }

  /** A percentage, 0-100, fractions allowed. */
  Double percent(String key) {
    ConfigTree v = at(key);
    if (v.node == null || v.node.isNull()) {
      return null;
    }
    if (!v.node.isNumber()) {
      v.error(v.node.asText(), "must be a number between 0 and 100");
      return null;
    }
    double d = v.node.asDouble();
    if (!(d >= 0 && d <= 100)) {
      v.error(v.node.asText(), "must be between 0 and 100");
      return null;
    }
    return d;
  }

  /** A duration ({@link ValueSyntax#parseDuration}); {@code dflt} when absent or wrong. */
  Duration duration(String key, Duration dflt, boolean positive) {
    String s = string(key, false);
    if (s == null) {
      return dflt;
    }
    ConfigTree v = at(key);
    Duration d = ValueSyntax.parseDuration(s);
    if (d == null) {
      v.error(s, "must be a duration such as 500ms, 5s, 1m");
      return dflt;
    }
    if (positive && (d.isZero() || d.isNegative())) {
      v.error(s, "must be greater than 0");
      return dflt;
    }
    if (d.getSeconds() >= 4294967296L) {
      v.error(s, "must be less than 4294967296s");
      return dflt;
    }
    return d;
  }

  /** An absolute URL path without spaces or fragment; {@code dflt} when absent or wrong. */
  String httpPath(String key, String dflt) {
    String s = string(key, false);
    if (s == null) {
      return dflt;
    }
    if (!s.startsWith("/") || ValueSyntax.hasControl(s) || s.indexOf(' ') >= 0
        || s.indexOf('#') >= 0) {
      at(key).error(s, "must be an absolute path starting with / without spaces");
      return dflt;
    }
    return s;
  }

  /** A host name or IP address; null when absent or wrong ({@code expected} says which). */
  String host(String key, boolean required, String expected) {
    String s = string(key, required);
    if (s != null && !ValueSyntax.isHost(s)) {
      at(key).error(s, expected);
      return null;
    }
    return s;
  }

  /** One of an enum's constants, written in any case; {@code dflt} when absent or wrong. */
  <E extends Enum<E>> E choice(String key, Class<E> type, E dflt, String expected) {
    String s = string(key, false);
    if (s == null) {
      return dflt;
    }
    try {
      return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      at(key).error(s, expected);
      return dflt;
    }
  }

  /** A readable file, relative to the config file's directory. */
  Path file(String key, boolean required) {
    String s = string(key, required);
    if (s == null) {
      return null;
    }
    Path p = resolvePath(s);
    if (!Files.isReadable(p)) {
      at(key).error(s, "must be a readable file (resolved to " + p.toAbsolutePath() + ")");
    }
    return p;
  }

  /** A path as written in the config: relative ones resolve against the config's directory. */
  Path resolvePath(String written) {
    return baseDir == null ? Path.of(written) : baseDir.resolve(written);
  }

  private String childPath(String key) {
    String k = ValueSyntax.shorten(key, 60);
    return path.isEmpty() ? k : path + "." + k;
  }

  static List<String> sorted(Set<String> s) {
    List<String> out = new ArrayList<>(s);
    Collections.sort(out);
    return out;
  }

  /** The names, sorted, for a problem line: at most 20, then how many more. */
  static String listed(Set<String> names) {
    List<String> all = sorted(names);
    List<String> shown = new ArrayList<>();
    for (String n : all.subList(0, Math.min(20, all.size()))) {
      shown.add(ValueSyntax.shorten(n, 60));
    }
    return all.size() <= 20 ? shown.toString()
        : shown + " and " + (all.size() - 20) + " more";
  }
}
