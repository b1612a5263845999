package io.meshtrace.xds.config;

import io.meshtrace.context.config.HeaderValue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads a value that may be secret: written in the file under its literal key, or one of
 * {@code envName}, {@code file}, {@code secretKeyRef: {name, key}}, resolved through a
 * {@link SecretResolver}. A problem names the field and the reference; a literal value is shown
 * only when it is not sensitive, a resolved value never.
 */
final class SecretReader {

  /** The reference keys, beside a place's literal key. */
  static final Set<String> REFERENCE_KEYS = Set.of("envName", "file", "secretKeyRef");

  private static final String SECRET_KEY_CHARS = "must be a Secret key (letters, digits, -, _, .)";

  /** The reference and what it resolved to. */
  record Value(SecretRef ref, String value) {
    @Override
    public String toString() {
      return "Value[" + ref + "]";
    }
  }

  private SecretReader() {}

  /**
   * Reads the one value source of mapping {@code o} (its keys already checked).
   *
   * @param literalKey the key of a value written in place ({@code value}), or null when only
   *     references are allowed
   * @param sensitive whether a literal value must not appear in a problem line
   * @return the value, or null (reported) when absent, ambiguous or unresolved
   */
  static Value read(ConfigTree o, String literalKey, boolean sensitive, SecretResolver secrets) {
    List<String> given = new ArrayList<>();
    if (literalKey != null && o.has(literalKey)) {
      given.add(literalKey);
    }
    for (String k : List.of("envName", "file", "secretKeyRef")) {
      if (o.has(k)) {
        given.add(k);
      }
    }
    if (given.size() != 1) {
      String keys = (literalKey == null ? "" : literalKey + ", ") + "envName, file, secretKeyRef";
      o.error(given.isEmpty() ? "(none)" : given.toString(), "set exactly one of " + keys);
      return null;
    }
    String k = given.get(0);
    if (k.equals(literalKey)) {
      ConfigTree v = o.at(k);
      JsonNode n = v.node();
      if (n == null || !n.isValueNode() || n.isNull()) {
        v.error(sensitive && n != null ? ConfigTree.HIDDEN : v.text(), "must be a string");
        return null;
      }
      String s = n.asText();
      return checked(v, sensitive ? ConfigTree.HIDDEN : s, s, SecretRef.LITERAL);
    }
    switch (k) {
      case "envName": {
        String name = o.string(k, true);
        if (name == null || !named(o.at(k), name)) {
          return null;
        }
        SecretRef ref = SecretRef.env(name);
        return resolve(o.at(k), name, ref, () -> secrets.env(name));
      }
      case "file": {
        String written = o.string(k, true);
        if (written == null || !named(o.at(k), written)) {
          return null;
        }
        Path path;
        try {
          path = o.resolvePath(written);
        } catch (InvalidPathException e) {
          o.at(k).error(written, "must be a file path");
          return null;
        }
        return resolve(o.at(k), written, SecretRef.file(written), () -> secrets.file(path));
      }
      default: {
        ConfigTree ref = o.at(k).mapping(Set.of("name", "key"));
        if (ref == null) {
          return null;
        }
        String name = ref.string("name", true);
        String key = ref.string("key", true);
        boolean ok = name != null && key != null;
        if (name != null && !ValueSyntax.isDnsName(name)) {
          ref.error("name", name, "must be a Secret name (lower-case DNS name)");
          ok = false;
        }
        if (key != null && !isSecretKey(key)) {
          ref.error("key", key, SECRET_KEY_CHARS);
          ok = false;
        }
        if (!ok) {
          return null;
        }
        SecretRef r = SecretRef.secret(name, key);
        return resolve(o.at(k), r.toString().substring(k.length() + 2), r,
            () -> secrets.secret(name, key));
      }
    }
  }

  @FunctionalInterface
  private interface Lookup {
    String get() throws SecretResolver.Unresolved;
  }

  private static Value resolve(ConfigTree at, String shown, SecretRef ref, Lookup lookup) {
    String value;
    try {
      value = lookup.get();
    } catch (SecretResolver.Unresolved e) {
      at.error(shown, e.getMessage());
      return null;
    }
    return checked(at, shown, value, ref);
  }

  /**
   * The value must be sendable as a header ({@link HeaderValue}, the check every module makes);
   * a reference must also resolve to something (an empty file or variable is a broken secret).
   */
  private static Value checked(ConfigTree at, String shown, String value, SecretRef ref) {
    String from = ref.external() ? "its value " : "";
    if (value.isEmpty() && ref.external()) {
      at.error(shown, from + "must not be empty");
      return null;
    }
    if (!HeaderValue.isSafe(value)) {
      at.error(shown, from + "must not contain control characters (CR, LF, ...) or non-ASCII: "
          + HeaderValue.EXPECTED);
      return null;
    }
    return new Value(ref, value);
  }

  private static boolean named(ConfigTree at, String name) {
    if (ValueSyntax.hasControl(name)) {
      at.error(name, "must not contain control characters");
      return false;
    }
    return true;
  }

  /** Kubernetes' Secret data keys: {@code [-._a-zA-Z0-9]+}. */
  static boolean isSecretKey(String s) {
    if (s.isEmpty() || s.length() > 253) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
          || c == '_' || c == '.')) {
        return false;
      }
    }
    return true;
  }
}
