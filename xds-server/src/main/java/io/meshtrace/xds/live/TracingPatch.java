package io.meshtrace.xds.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.Redaction;
import io.meshtrace.xds.live.WriteResult.Status;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code PUT /config/tracing} laid over a mesh document: the tracing keys it names
 * replace the document's, a JSON {@code null} removes one, every other key is refused, and a
 * secret sent back as {@value Redaction#REDACTED} keeps the stored value. The same for every
 * {@link ConfigSource}.
 */
public final class TracingPatch {

  /** Top-level keys {@code PUT /config/tracing} may change. */
  public static final Set<String> KEYS = Set.of("meshVersion", "propagation",
      "defaultProviders", "extensionProviders", "tracing");

  private final ObjectNode merged;
  private final WriteResult refused;

  private TracingPatch(ObjectNode merged, WriteResult refused) {
    this.merged = merged;
    this.refused = refused;
  }

  /** Reads {@code body} (size limit, one JSON object) and lays it over {@code document}. */
  public static TracingPatch of(JsonNode document, byte[] body) {
    String size = ConfigText.sizeProblem(body.length);
    if (size != null) {
      return refused(WriteResult.of(Status.TOO_LARGE, List.of("(body): the request " + size)));
    }
    try {
      return of(document, ConfigText.readJson(body));
    } catch (ConfigException e) {
      return refused(WriteResult.of(Status.INVALID, e.errors()));
    }
  }

  /** Lays {@code patch} over {@code document} (neither is changed). */
  public static TracingPatch of(JsonNode document, JsonNode patch) {
    if (patch == null || !patch.isObject()) {
      return refused(WriteResult.of(Status.INVALID,
          List.of("(body): must be a JSON object with any of " + KEYS)));
    }
    if (document == null || !document.isObject()) {
      return refused(WriteResult.of(Status.CONFLICT, List.of("(config): no config is served"
          + " yet to change; fix what lastRejected names first")));
    }
    // A value shown as <redacted> and sent back means "keep the stored one".
    JsonNode restored = patch.deepCopy();
    List<String> errors = new ArrayList<>(Redaction.restore(restored, document));
    if (!errors.isEmpty()) {
      return refused(WriteResult.of(Status.INVALID, errors));
    }
    patch = restored;
    ObjectNode next = (ObjectNode) document.deepCopy();
    Iterator<String> keys = patch.fieldNames();
    while (keys.hasNext()) {
      String k = keys.next();
      if (!KEYS.contains(k)) {
        errors.add(k + ": not a tracing key; allowed: " + KEYS);
      } else if (patch.get(k).isNull()) {
        next.remove(k);
      } else {
        next.set(k, patch.get(k));
      }
    }
    return errors.isEmpty() ? new TracingPatch(next, null)
        : refused(WriteResult.of(Status.INVALID, errors));
  }

  private static TracingPatch refused(WriteResult r) {
    return new TracingPatch(null, r);
  }

  /** The document with the patch applied, or null when {@link #refused()} says why not. */
  public ObjectNode merged() {
    return merged;
  }

  /** Why the body is refused, or null. */
  public WriteResult refused() {
    return refused;
  }
}
