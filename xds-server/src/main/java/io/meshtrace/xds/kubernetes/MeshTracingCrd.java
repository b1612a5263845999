package io.meshtrace.xds.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The {@code MeshTracing} CustomResourceDefinition, derived from the one JSON Schema of the mesh
 * document ({@value #SCHEMA_RESOURCE} on the classpath), so the API server, editors and
 * {@code xds-server validate} describe one format.
 *
 * <p>The derivation turns the draft-07 schema into a Kubernetes structural schema: every
 * {@code $ref} is inlined (a CRD may hold none), {@code additionalProperties: false} is dropped
 * (the API server prunes unknown fields, and refuses them under strict field validation,
 * {@code kubectl}'s default), {@code server} is left out (process settings stay in flags or the
 * file). Anything that has no structural equivalent is an error naming its JSON pointer rather
 * than a silently weaker CRD. The {@code status} schema is this class's own.
 *
 * <p>{@code k8s/crds/meshtracings.meshtrace.io.yaml} is the output of {@link #main}; a test keeps
 * them equal.
 */
public final class MeshTracingCrd {
  /** Classpath location of the JSON Schema of the mesh document. */
  public static final String SCHEMA_RESOURCE = "io/meshtrace/xds/meshtrace-mesh.schema.json";
  /** Top-level keys of the mesh document that are process settings, not part of a spec. */
  public static final Set<String> PROCESS_KEYS = Set.of("server");
  /** Longest condition message the API accepts (metav1.Condition). */
  static final int CONDITION_MESSAGE_MAX = 32768;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .disable(YAMLGenerator.Feature.SPLIT_LINES));
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Keys copied unchanged: the value validations and annotations a structural schema keeps. */
  private static final Set<String> COPIED = Set.of("description", "type", "format", "pattern",
      "minLength", "maxLength", "minimum", "maximum", "multipleOf", "minItems", "maxItems",
      "minProperties", "maxProperties", "required", "enum");
  /** Annotations of the JSON Schema that a CRD has no place for. */
  private static final Set<String> DROPPED = Set.of("$schema", "$id", "$comment", "title",
      "examples", "definitions");
  /** Logical junctors: inside them a structural schema allows value validations only. */
  private static final Set<String> JUNCTORS = Set.of("allOf", "anyOf", "oneOf", "not");
  private static final Set<String> NOT_IN_JUNCTOR = Set.of("type", "description", "default",
      "additionalProperties", "nullable", "properties", "items");

  private static final String HEADER = """
      # MeshTracing: one mesh document per object, watched by every xds-server replica.
      # Generated from xds-server/src/main/resources/%s; do not edit. Regenerate with
      #   java -cp xds-server/target/xds-server.jar %s > k8s/crds/%s.yaml
      """;

  private MeshTracingCrd() {}

  /** Prints the CRD as YAML ({@link #yaml()}). */
  public static void main(String[] args) {
    System.out.print(yaml());
  }

  /** The JSON Schema of the mesh document, as shipped. */
  public static JsonNode meshSchema() {
    try (InputStream in = MeshTracingCrd.class.getClassLoader()
        .getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing classpath resource " + SCHEMA_RESOURCE);
      }
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(SCHEMA_RESOURCE + ": " + e.getMessage(), e);
    }
  }

  /** The CRD as YAML, with a header naming its source. */
  public static String yaml() {
    try {
      return HEADER.formatted(SCHEMA_RESOURCE, MeshTracingCrd.class.getName(),
          MeshTracingApi.CRD_NAME) + YAML.writeValueAsString(customResourceDefinition());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The {@code apiextensions.k8s.io/v1} CustomResourceDefinition of {@code MeshTracing}. */
  public static ObjectNode customResourceDefinition() {
    ObjectNode crd = NODES.objectNode();
    crd.put("apiVersion", "apiextensions.k8s.io/v1");
    crd.put("kind", "CustomResourceDefinition");
    ObjectNode meta = crd.putObject("metadata");
    meta.put("name", MeshTracingApi.CRD_NAME);
    ObjectNode labels = meta.putObject("labels");
    labels.put("app.kubernetes.io/name", "xds-server");
    labels.put("app.kubernetes.io/part-of", "meshtrace");
    ObjectNode spec = crd.putObject("spec");
    spec.put("group", MeshTracingApi.GROUP);
    ObjectNode names = spec.putObject("names");
    names.put("kind", MeshTracingApi.KIND);
    names.put("listKind", MeshTracingApi.KIND + "List");
    names.put("plural", MeshTracingApi.PLURAL);
    names.put("singular", MeshTracingApi.SINGULAR);
    names.putArray("shortNames").add(MeshTracingApi.SHORT_NAME);
    names.putArray("categories").add("meshtrace");
    spec.put("scope", "Namespaced");
    ObjectNode version = spec.putArray("versions").addObject();
    version.put("name", MeshTracingApi.VERSION);
    version.put("served", true);
    version.put("storage", true);
    version.putObject("subresources").putObject("status");
    ArrayNode columns = version.putArray("additionalPrinterColumns");
    column(columns, "Accepted", "string", "Whether xds-server serves the current spec",
        ".status.conditions[?(@.type==\"Accepted\")].status");
    column(columns, "Reason", "string", "Why (Accepted, Invalid)",
        ".status.conditions[?(@.type==\"Accepted\")].reason");
    column(columns, "Served", "string", "Version xds-server serves",
        ".status.servedVersion");
    column(columns, "Age", "date", null, ".metadata.creationTimestamp");
    ObjectNode root = version.putObject("schema").putObject("openAPIV3Schema");
    root.put("description", "The mesh document of xds-server (spec) and what xds-server made"
        + " of it (status).");
    root.put("type", "object");
    root.putArray("required").add("spec");
    ObjectNode props = root.putObject("properties");
    props.putObject("apiVersion").put("type", "string");
    props.putObject("kind").put("type", "string");
    props.putObject("metadata").put("type", "object");
    props.set("spec", specSchema(meshSchema()));
    props.set("status", statusSchema());
    return crd;
  }

  private static void column(ArrayNode columns, String name, String type, String description,
      String jsonPath) {
    ObjectNode c = columns.addObject();
    c.put("name", name);
    c.put("type", type);
    if (description != null) {
      c.put("description", description);
    }
    c.put("jsonPath", jsonPath);
  }

  /**
   * The structural OpenAPI v3 schema of {@code spec}: the mesh document's JSON Schema without
   * {@link #PROCESS_KEYS}, refs inlined, in the subset a CRD accepts.
   *
   * @throws IllegalArgumentException naming the JSON pointer of a construct a CRD cannot hold
   */
  public static ObjectNode specSchema(JsonNode meshSchema) {
    JsonNode definitions = meshSchema.path("definitions");
    ObjectNode spec = convert(meshSchema, "", definitions, new ArrayDeque<>(), false);
    spec.put("description", "The mesh document (xds-server README, \"Config reference\") without"
        + " the process settings under server: providers, tracing rules, services, gateway."
        + " xds-server checks more than this schema and reports every problem, with its field,"
        + " in the Accepted condition.");
    ObjectNode properties = (ObjectNode) spec.get("properties");
    for (String key : PROCESS_KEYS) {
      if (properties.remove(key) == null) {
        throw new IllegalArgumentException("/properties/" + key + ": expected in the mesh schema");
      }
    }
    return spec;
  }

  private static ObjectNode convert(JsonNode schema, String pointer, JsonNode definitions,
      Deque<String> refs, boolean inJunctor) {
    if (!schema.isObject()) {
      throw new IllegalArgumentException(at(pointer) + ": a schema must be an object");
    }
    ObjectNode out = NODES.objectNode();
    JsonNode ref = schema.get("$ref");
    if (ref != null) {
      String target = ref.asText();
      if (!target.startsWith("#/definitions/") || !definitions.has(target.substring(14))) {
        throw new IllegalArgumentException(at(pointer) + "/$ref=" + target
            + ": only refs to #/definitions/ of the same file are inlined");
      }
      if (refs.contains(target)) {
        throw new IllegalArgumentException(at(pointer) + "/$ref=" + target
            + ": recursive schemas cannot be inlined into a CRD");
      }
      refs.push(target);
      ObjectNode inlined = convert(definitions.get(target.substring(14)),
          target.substring(1), definitions, refs, inJunctor);
      refs.pop();
      // A sibling description (an annotation of the use, not of the type) wins; it goes first.
      if (schema.has("description")) {
        out.set("description", schema.get("description"));
      }
      inlined.fields().forEachRemaining(e -> {
        if (!out.has(e.getKey())) {
          out.set(e.getKey(), e.getValue());
        }
      });
      for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!key.equals("$ref") && !key.equals("description")) {
          throw new IllegalArgumentException(at(pointer) + "/" + key
              + ": only a description may stand beside $ref");
        }
      }
      return out;
    }
    if (schema.has("description") && !inJunctor) {
      out.set("description", schema.get("description"));
    }
    if (schema.has("type")) {
      if (!schema.get("type").isTextual()) {
        throw new IllegalArgumentException(at(pointer) + "/type: a CRD takes one type, not "
            + schema.get("type"));
      }
      out.set("type", schema.get("type"));
    }
    for (Map.Entry<String, JsonNode> e : schema.properties()) {
      String key = e.getKey();
      JsonNode value = e.getValue();
      String p = pointer + "/" + key;
      if (inJunctor && NOT_IN_JUNCTOR.contains(key)) {
        throw new IllegalArgumentException(at(p) + ": not allowed inside allOf/anyOf/oneOf/not"
            + " of a structural schema");
      }
      if (key.equals("description") || key.equals("type") || DROPPED.contains(key)) {
        continue;
      }
      switch (key) {
        case "properties": {
          ObjectNode props = out.putObject("properties");
          for (Map.Entry<String, JsonNode> prop : value.properties()) {
            props.set(prop.getKey(), convert(prop.getValue(), p + "/" + escape(prop.getKey()),
                definitions, refs, false));
          }
          break;
        }
        case "additionalProperties":
          if (value.isBoolean() && !value.booleanValue()) {
            break; // pruning (and strict field validation) refuse unknown keys
          }
          if (!value.isObject()) {
            throw new IllegalArgumentException(at(p) + "=" + value
                + ": use a schema (a map) or false");
          }
          if (schema.has("properties")) {
            throw new IllegalArgumentException(at(p)
                + ": a CRD schema cannot have both properties and additionalProperties");
          }
          out.set("additionalProperties", convert(value, p, definitions, refs, false));
          break;
        case "items":
          out.set("items", convert(value, p, definitions, refs, false));
          break;
        case "allOf":
        case "anyOf":
        case "oneOf": {
          ArrayNode list = out.putArray(key);
          for (int i = 0; i < value.size(); i++) {
            list.add(convert(value.get(i), p + "/" + i, definitions, refs, true));
          }
          break;
        }
        case "not":
          out.set("not", convert(value, p, definitions, refs, true));
          break;
        case "const":
          out.putArray("enum").add(value);
          break;
        case "exclusiveMinimum":
        case "exclusiveMaximum": {
          String bound = key.equals("exclusiveMinimum") ? "minimum" : "maximum";
          out.set(bound, value);
          out.put(key, true); // OpenAPI 3.0: a flag on minimum/maximum
          break;
        }
        case "default":
          throw new IllegalArgumentException(at(p) + ": the API server would write a default into"
              + " every stored spec; state defaults in the description and leave them to the parser");
        case "uniqueItems":
          throw new IllegalArgumentException(at(p) + ": CRDs refuse uniqueItems (quadratic cost);"
              + " leave duplicates to the parser");
        default:
          if (!COPIED.contains(key)) {
            throw new IllegalArgumentException(at(p) + ": " + key
                + " has no equivalent in a structural CRD schema");
          }
          out.set(key, value);
      }
    }
    if (!inJunctor) {
      if (!out.has("type")) {
        throw new IllegalArgumentException(at(pointer) + ": a structural schema needs a type");
      }
      if (out.get("type").asText().equals("object") && !out.has("properties")
          && !out.has("additionalProperties")) {
        throw new IllegalArgumentException(at(pointer) + ": an object without properties or"
            + " additionalProperties would have all its content pruned");
      }
      if (out.get("type").asText().equals("array") && !out.has("items")) {
        throw new IllegalArgumentException(at(pointer) + ": an array needs items");
      }
    }
    return out;
  }

  private static String at(String pointer) {
    return pointer.isEmpty() ? "(root)" : pointer;
  }

  private static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  /** observedGeneration, the Accepted condition (metav1.Condition), servedVersion. */
  private static ObjectNode statusSchema() {
    ObjectNode status = NODES.objectNode();
    status.put("description", "Written by the xds-server replica that holds the status Lease.");
    status.put("type", "object");
    ObjectNode props = status.putObject("properties");
    ObjectNode observed = props.putObject("observedGeneration");
    observed.put("description", "metadata.generation of the spec the condition is about.");
    observed.put("type", "integer");
    observed.put("format", "int64");
    observed.put("minimum", 0);
    ObjectNode served = props.putObject("servedVersion");
    served.put("description", "Content hash of the config xds-server serves: the last accepted"
        + " spec, which may be older than the current one when Accepted is False. Equal on every"
        + " replica for the same spec.");
    served.put("type", "string");
    served.put("maxLength", 256);
    ObjectNode conditions = props.putObject("conditions");
    conditions.put("description", "Accepted: True when the spec of observedGeneration is served;"
        + " False with reason Invalid and the field problems in message when it was refused.");
    conditions.put("type", "array");
    conditions.put("maxItems", 8);
    conditions.put("x-kubernetes-list-type", "map");
    conditions.putArray("x-kubernetes-list-map-keys").add("type");
    ObjectNode item = conditions.putObject("items");
    item.put("type", "object");
    ArrayNode required = item.putArray("required");
    for (String r : new String[] {"type", "status", "lastTransitionTime", "reason", "message"}) {
      required.add(r);
    }
    ObjectNode ip = item.putObject("properties");
    ObjectNode type = ip.putObject("type");
    type.put("type", "string");
    type.put("maxLength", 316);
    type.put("pattern", "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        + "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$");
    ObjectNode st = ip.putObject("status");
    st.put("type", "string");
    st.putArray("enum").add("True").add("False").add("Unknown");
    ObjectNode og = ip.putObject("observedGeneration");
    og.put("type", "integer");
    og.put("format", "int64");
    og.put("minimum", 0);
    ObjectNode ltt = ip.putObject("lastTransitionTime");
    ltt.put("type", "string");
    ltt.put("format", "date-time");
    ObjectNode reason = ip.putObject("reason");
    reason.put("type", "string");
    reason.put("minLength", 1);
    reason.put("maxLength", 1024);
    reason.put("pattern", "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");
    ObjectNode message = ip.putObject("message");
    message.put("type", "string");
    message.put("maxLength", CONDITION_MESSAGE_MAX);
    return status;
  }
}
