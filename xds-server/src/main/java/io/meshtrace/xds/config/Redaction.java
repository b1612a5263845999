package io.meshtrace.xds.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Keeps secret values out of what the admin API answers and what the logs say.
 *
 * <p>In a config document ({@link #document}), a header's literal {@code value} is shown as
 * {@value #REDACTED} when its name looks sensitive ({@link #sensitiveName}), and so is every
 * literal {@code accessToken} and {@code keyStorePassword}; references ({@code envName},
 * {@code file}, {@code secretKeyRef}) are shown as written, since they hold no value. A
 * document sent back with {@value #REDACTED} in those places means "keep what is stored"
 * ({@link #restore}), so a GET then PUT round trip never replaces a secret by the marker.
 *
 * <p>In free text ({@link #scrub}), e.g. an Envoy NACK message that quotes the config it
 * rejected, every secret value of the served config is replaced by {@value #REDACTED}.
 */
public final class Redaction {

  /** What a secret value is shown as. */
  public static final String REDACTED = "<redacted>";

  /** No secrets: {@link #scrub} returns its input. */
  public static final Redaction NONE = new Redaction(List.of());

  /** Values shorter than this are not searched for in free text (they would match anywhere). */
  static final int MIN_SCRUBBED = 4;

  private static final Set<String> HEADER_LISTS = Set.of("headers", "initialMetadata");
  private static final Set<String> SECRET_FIELDS = Set.of("accessToken", "keyStorePassword");
  private static final List<String> SENSITIVE = List.of("auth", "token", "key", "secret",
      "cookie", "passw", "credential", "session", "signature", "jwt", "bearer");

  private final List<String> values;

  private Redaction(List<String> values) {
    this.values = values;
  }

  /**
   * Whether a header with this name carries a credential: its lower-case name contains
   * {@code auth}, {@code token}, {@code key}, {@code secret}, {@code cookie}, {@code passw},
   * {@code credential}, {@code session}, {@code signature}, {@code jwt} or {@code bearer}
   * ({@code authorization}, {@code x-api-key}). A secret under another name is shown: write it
   * as a reference.
   */
  public static boolean sensitiveName(String headerName) {
    String n = headerName.toLowerCase(Locale.ROOT);
    for (String s : SENSITIVE) {
      if (n.contains(s)) {
        return true;
      }
    }
    return false;
  }

  /** The secret values of {@code config}, to {@link #scrub} from free text. */
  public static Redaction of(MeshConfig config) {
    Set<String> out = new LinkedHashSet<>();
    for (MeshConfig.Provider p : config.providers()) {
      for (Header h : Header.sentBy(p)) {
        if (h.secret()) {
          out.add(h.value());
        }
      }
      if (p instanceof MeshConfig.SkyWalking s && s.accessToken() != null) {
        out.add(s.accessToken());
      }
    }
    MeshConfig.Tls tls = config.server().tls();
    if (tls != null && tls.keyStorePassword() != null) {
      out.add(tls.keyStorePassword());
    }
    out.removeIf(v -> v.length() < MIN_SCRUBBED);
    // Longest first, so a secret that contains another is replaced whole.
    List<String> sorted = new ArrayList<>(out);
    sorted.sort((a, b) -> b.length() - a.length());
    return sorted.isEmpty() ? NONE : new Redaction(List.copyOf(sorted));
  }

  /** {@code text} with every secret value replaced by {@value #REDACTED}; null stays null. */
  public String scrub(String text) {
    if (text == null || values.isEmpty()) {
      return text;
    }
    String out = text;
    for (String v : values) {
      if (out.contains(v)) {
        out = out.replace(v, REDACTED);
      }
    }
    return out;
  }

  /** A copy of a config document (or part of one) with its secret values redacted. */
  public static JsonNode document(JsonNode doc) {
    JsonNode copy = doc.deepCopy();
    redact(copy);
    return copy;
  }

  private static void redact(JsonNode node) {
    if (node.isArray()) {
      node.forEach(Redaction::redact);
      return;
    }
    if (!node.isObject()) {
      return;
    }
    ObjectNode o = (ObjectNode) node;
    Iterator<Map.Entry<String, JsonNode>> it = o.fields();
    List<String> secretFields = new ArrayList<>();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (SECRET_FIELDS.contains(e.getKey()) && v.isValueNode() && !v.isNull()) {
        secretFields.add(e.getKey());
      } else if (HEADER_LISTS.contains(e.getKey()) && v.isArray()) {
        for (JsonNode h : v) {
          if (h.isObject() && h.has("value") && secretHeader(h)) {
            ((ObjectNode) h).put("value", REDACTED);
          }
        }
      } else {
        redact(v);
      }
    }
    secretFields.forEach(k -> o.put(k, REDACTED));
  }

  /** A header entry whose value must not be shown: a sensitive or unreadable name. */
  private static boolean secretHeader(JsonNode h) {
    JsonNode name = h.get("name");
    return name == null || !name.isTextual() || sensitiveName(name.asText());
  }

  /**
   * Puts the stored value back wherever {@code patch} (a {@code PUT /config/tracing} body)
   * holds {@value #REDACTED} at a secret place: the same provider (by name), the same header
   * (by name, any case) or field. A marker with no stored value there is a problem, named
   * {@code path=<redacted>: ...}.
   *
   * @return the problems, empty when every marker was replaced
   */
  public static List<String> restore(JsonNode patch, JsonNode stored) {
    List<String> problems = new ArrayList<>();
    JsonNode providers = patch.get("extensionProviders");
    if (providers == null || !providers.isArray()) {
      return problems;
    }
    JsonNode storedProviders = stored.path("extensionProviders");
    for (int i = 0; i < providers.size(); i++) {
      JsonNode p = providers.get(i);
      JsonNode match = null;
      if (p.isObject() && p.path("name").isTextual()) {
        for (JsonNode sp : storedProviders) {
          if (sp.path("name").equals(p.get("name"))) {
            match = sp;
          }
        }
      }
      restore(p, match, "extensionProviders[" + i + "]", problems);
    }
    return problems;
  }

  private static void restore(JsonNode node, JsonNode stored, String path,
      List<String> problems) {
    if (!node.isObject()) {
      return;
    }
    ObjectNode o = (ObjectNode) node;
    List<String> keys = new ArrayList<>();
    o.fieldNames().forEachRemaining(keys::add);
    for (String k : keys) {
      JsonNode v = o.get(k);
      JsonNode sv = stored == null ? null : stored.get(k);
      String at = path + "." + ValueSyntax.shorten(k, 60);
      if (SECRET_FIELDS.contains(k) && isMarker(v)) {
        if (sv != null && sv.isValueNode() && !sv.isNull()) {
          o.set(k, sv);
        } else {
          problems.add(missing(at));
        }
      } else if (HEADER_LISTS.contains(k) && v.isArray()) {
        restoreHeaders((ArrayNode) v, sv, at, problems);
      } else if (v.isObject()) {
        restore(v, sv, at, problems);
      }
    }
  }

  private static void restoreHeaders(ArrayNode headers, JsonNode stored, String path,
      List<String> problems) {
    for (int i = 0; i < headers.size(); i++) {
      JsonNode h = headers.get(i);
      if (!h.isObject() || !isMarker(h.get("value"))) {
        continue;
      }
      JsonNode kept = null;
      if (h.path("name").isTextual() && stored != null && stored.isArray()) {
        for (JsonNode sh : stored) {
          if (sh.path("name").asText().equalsIgnoreCase(h.get("name").asText())
              && sh.path("value").isValueNode() && !sh.path("value").isNull()
              && !isMarker(sh.get("value"))) {
            kept = sh.get("value");
          }
        }
      }
      if (kept == null) {
        problems.add(missing(path + "[" + i + "].value"));
      } else {
        ((ObjectNode) h).set("value", kept);
      }
    }
  }

  private static boolean isMarker(JsonNode v) {
    return v != null && v.isTextual() && v.asText().equals(REDACTED);
  }

  private static String missing(String path) {
    return path + "=" + REDACTED + ": means \"keep the stored value\", but the stored config has"
        + " no value there (same provider name and header name); send the value or a reference"
        + " (envName, file, secretKeyRef)";
  }
}
