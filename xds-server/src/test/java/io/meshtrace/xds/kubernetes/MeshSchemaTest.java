package io.meshtrace.xds.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JSON Schema of the mesh document against the parser it describes: every shipped config
 * validates; a value the schema refuses is refused by the parser too (the schema is never the
 * stricter one, except where a row says why); and the CRD's spec schema is the same schema in
 * the form the API server takes.
 */
class MeshSchemaTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final YAMLMapper YAML = new YAMLMapper();
  static final JsonSchema MESH = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
      .getSchema(MeshTracingCrd.meshSchema());
  /** OpenAPI 3.0 schemas are draft-4 JSON Schema plus annotations: exclusive bounds as flags. */
  static final JsonSchema CRD_SPEC = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4)
      .getSchema(MeshTracingCrd.specSchema(MeshTracingCrd.meshSchema()));

  static List<String> schemaErrors(JsonSchema schema, JsonNode doc) {
    return schema.validate(doc).stream().map(ValidationMessage::getMessage).sorted().toList();
  }

  static List<String> parserErrors(JsonNode doc) {
    try {
      ConfigParser.parse(doc, null);
      return List.of();
    } catch (ConfigException e) {
      return e.errors();
    }
  }

  static ObjectNode bundled() throws IOException {
    try (InputStream in = MeshSchemaTest.class.getResourceAsStream("/io/meshtrace/xds/bookinfo.yaml")) {
      assertThat(in).as("bundled config on the classpath").isNotNull();
      return (ObjectNode) YAML.readTree(in);
    }
  }

  static Stream<Path> configFiles() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("config"))) {
      List<Path> files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertThat(files).isNotEmpty();
      return files.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("configFiles")
  void schema_exampleConfigFile_validates(Path file) throws IOException {
    JsonNode doc = YAML.readTree(Files.readString(file));

    assertThat(schemaErrors(MESH, doc)).as(file.toString()).isEmpty();
    assertThat(parserErrors(doc)).as(file.toString()).isEmpty();
  }

  @Test
  void schema_bundledAndTestMeshes_validate() throws IOException {
    assertThat(schemaErrors(MESH, bundled())).isEmpty();
    assertThat(schemaErrors(MESH, YAML.readTree(TestMesh.base()))).isEmpty();
  }

  /** Istio's meshConfig block and Telemetry resources, as xds-server reads them pasted. */
  static final String ISTIO = TestMesh.SERVICES.replace("  - name: reviews\n",
      "  - name: reviews\n    hosts: [reviews.default.svc.cluster.local]\n") + """
      meshConfig:
        enableTracing: true
        defaultConfig:
          tracing: {}
        defaultProviders:
          tracing: [otel]
        extensionProviders:
        - name: otel
          opentelemetry:
            service: observability/otel-collector.observability.svc.cluster.local
            port: 4318
            http: {path: v1/traces, timeout: 10s, headers: [{name: Authorization, value: Api-Token x}]}
            resourceDetectors: {environment: {}, dynatrace: {}}
            serviceAttributeEnrichment: ISTIO_CANONICAL
            dynatraceSampler: {tenant: abc, clusterId: 1234, rootSpansPerMinute: 500}
        - name: zipkin
          zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411, timeout: 5s, headers: [], traceContextOption: USE_B3}
      telemetry:
      - apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system, labels: {team: obs}}
        spec:
          tracing:
          - randomSamplingPercentage: 10.00
            customTags: {cluster_id: {environment: {name: ISTIO_META_CLUSTER_ID, defaultValue: Kubernetes}}}
      - apiVersion: telemetry.istio.io/v1alpha1
        kind: Telemetry
        metadata: {name: reviews, namespace: default}
        spec:
          selector: {matchLabels: {app: reviews}}
          tracing:
          - {match: {mode: SERVER}, disableSpanReporting: true, enableIstioTags: false, disableContextPropagation: false}
      - apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: reviews-waypoint, namespace: other}
        spec:
          targetRefs: [{kind: Service, group: "", name: reviews}]
          tracing:
          - providers: [{name: zipkin}]
      """;

  @Test
  void istioSections_takenBySchemaParserAndCrd() throws IOException {
    ObjectNode doc = (ObjectNode) YAML.readTree(ISTIO);

    assertThat(parserErrors(doc)).as("parser").isEmpty();
    assertThat(schemaErrors(MESH, doc)).as("schema").isEmpty();
    assertThat(schemaErrors(CRD_SPEC, doc)).as("CRD").isEmpty();
  }

  static Stream<Arguments> istioRefusedByBoth() {
    return Stream.of(
        Arguments.of("meshConfig.extensionProviders[1].zipkin.traceContextOption", "/meshConfig/extensionProviders/1/zipkin/traceContextOption", "\"USE_B3_WITH_W3C_PROPAGATION\""),
        Arguments.of("meshConfig.extensionProviders[1].zipkin.headers", "/meshConfig/extensionProviders/1/zipkin/headers", "[{\"name\": \"a\", \"value\": \"b\"}]"),
        Arguments.of("meshConfig.extensionProviders[0].opentelemetry.serviceAttributeEnrichment", "/meshConfig/extensionProviders/0/opentelemetry/serviceAttributeEnrichment", "\"OTEL_SEMANTIC_CONVENTIONS\""),
        Arguments.of("meshConfig.extensionProviders[0].opentelemetry.service", "/meshConfig/extensionProviders/0/opentelemetry/service", "\"Observability/otel\""),
        Arguments.of("meshConfig.defaultConfig.tracing", "/meshConfig/defaultConfig/tracing", "{\"sampling\": \"5\"}"),
        Arguments.of("telemetry[1].spec.tracing[0].disableContextPropagation", "/telemetry/1/spec/tracing/0/disableContextPropagation", "true"),
        Arguments.of("telemetry[1].spec.tracing[0].enableIstioTags", "/telemetry/1/spec/tracing/0/enableIstioTags", "true"),
        Arguments.of("telemetry[2].spec.targetRefs[0].kind", "/telemetry/2/spec/targetRefs/0/kind", "\"Gateway\""),
        Arguments.of("telemetry[0].apiVersion", "/telemetry/0/apiVersion", "\"telemetry.istio.io/v2\""));
  }

  @ParameterizedTest(name = "{0} = {2}")
  @MethodSource("istioRefusedByBoth")
  void istioSections_invalidValue_refusedBySchemaAndParser(String field, String pointer, String json)
      throws IOException {
    ObjectNode doc = with((ObjectNode) YAML.readTree(ISTIO), pointer, json);

    assertThat(parserErrors(doc)).as("parser").anyMatch(m -> m.startsWith(field));
    assertThat(schemaErrors(MESH, doc)).as("schema").isNotEmpty();
  }

  @Test
  void crdSpecSchema_bundledWithoutServer_validates() throws IOException {
    ObjectNode spec = bundled();
    spec.remove("server");

    assertThat(schemaErrors(CRD_SPEC, spec)).isEmpty();
  }

  // --- invalid values: refused by the schema and by the parser, both naming the field -------

  static Stream<Arguments> refusedByBoth() {
    return Stream.of(
        Arguments.of("extensionProviders[0].opentelemetry.port", "/extensionProviders/0/opentelemetry/port", "70000"),
        Arguments.of("extensionProviders[0].opentelemetry.port", "/extensionProviders/0/opentelemetry/port", "\"4317\""),
        Arguments.of("extensionProviders[0].opentelemetry.service", "/extensionProviders/0/opentelemetry/service", "\"otel collector\""),
        Arguments.of("extensionProviders[0].opentelemetry.grpc.timeout", "/extensionProviders/0/opentelemetry/grpc/timeout", "\"5 seconds\""),
        Arguments.of("extensionProviders[0].opentelemetry.grpc.initialMetadata[0].name", "/extensionProviders/0/opentelemetry/grpc/initialMetadata/0/name", "\"X-Tenant\""),
        Arguments.of("extensionProviders[0].opentelemetry.grpcc", "/extensionProviders/0/opentelemetry/grpcc", "{}"),
        Arguments.of("extensionProviders[0]", "/extensionProviders/0/zipkin", "{\"service\": \"z\", \"port\": 9411}"),
        Arguments.of("extensionProviders[1].opentelemetry.http.path", "/extensionProviders/1/opentelemetry/http/path", "\"v1/my traces\""),
        Arguments.of("extensionProviders[1].opentelemetry.http.headers[0].value", "/extensionProviders/1/opentelemetry/http/headers/0/value", "\"a\\r\\nb\""),
        Arguments.of("extensionProviders[2].zipkin.encoding", "/extensionProviders/2/zipkin/encoding", "\"thrift\""),
        Arguments.of("extensionProviders[2].zipkin.enable64bitTraceId", "/extensionProviders/2/zipkin/enable64bitTraceId", "\"no\""),
        Arguments.of("tracing[0].randomSamplingPercentage", "/tracing/0/randomSamplingPercentage", "140"),
        Arguments.of("tracing[0].randomSamplingPercentage", "/tracing/0/randomSamplingPercentage", "-1"),
        Arguments.of("tracing[0].providers[0].name", "/tracing/0/providers/0/name", "\"\""),
        Arguments.of("tracing[0].customTags.mesh", "/tracing/0/customTags/mesh", "{\"literal\": {\"value\": \"a\"}, \"header\": {\"name\": \"b\"}}"),
        Arguments.of("tracing[0].customTags.mesh.literal.value", "/tracing/0/customTags/mesh/literal/value", "\"\""),
        Arguments.of("tracing[1].match.mode", "/tracing/1/match/mode", "\"BOTH\""),
        Arguments.of("defaultProviders.tracing", "/defaultProviders/tracing", "[\"otel\", \"zipkin\"]"),
        Arguments.of("services[0].name", "/services/0/name", "\"Product_Page\""),
        Arguments.of("services[0].hosts[0]", "/services/0/hosts/0", "\"bad host\""),
        Arguments.of("services[0].ports", "/services/0/ports", "[]"),
        Arguments.of("services[0].ports[0].name", "/services/0/ports/0/name", "\"-http\""),
        Arguments.of("services[0].ports[0].protocol", "/services/0/ports/0/protocol", "\"UDP\""),
        Arguments.of("services[0].ports[0].number", "/services/0/ports/0/number", "0"),
        Arguments.of("services[0].endpoints[0].weight", "/services/0/endpoints/0/weight", "0"),
        Arguments.of("gateway.port", "/gateway/port", "65536"),
        Arguments.of("gateway.hosts", "/gateway/hosts", "[]"),
        Arguments.of("gateway.hosts[0]", "/gateway/hosts", "[\"a b\"]"),
        Arguments.of("gateway.headerRepair.markerHeader", "/gateway/headerRepair/markerHeader", "\"X-Repair\""),
        Arguments.of("gateway.headerRepair.extProc.timeout", "/gateway/headerRepair/extProc/timeout", "\"fast\""),
        Arguments.of("sidecar.inboundPort", "/sidecar/inboundPort", "0"),
        Arguments.of("meshVersion", "/meshVersion", "\"one.two\""),
        Arguments.of("propagation", "/propagation", "\"jaeger\""),
        Arguments.of("server.ads.port", "/server/ads/port", "70000"),
        Arguments.of("tracingg", "/tracingg", "[]"));
  }

  @ParameterizedTest(name = "{0} = {2}")
  @MethodSource("refusedByBoth")
  void invalidValue_refusedBySchemaAndParser_bothNamingTheField(String field, String pointer, String json)
      throws IOException {
    ObjectNode doc = with(bundled(), pointer, json);

    assertThat(schemaErrors(MESH, doc)).as("schema").isNotEmpty()
        .anyMatch(m -> m.startsWith("$." + field) || m.startsWith(schemaPath(parentOf(field))));
    assertThat(parserErrors(doc)).as("parser").isNotEmpty().anyMatch(m -> m.startsWith(field));
  }

  // --- valid spellings the parser takes: the schema takes them too ---------------------------

  static Stream<Arguments> acceptedByBoth() {
    return Stream.of(
        Arguments.of("/propagation", "\"tracecontext\""),
        Arguments.of("/meshVersion", "\"v1.22\""),
        Arguments.of("/services/0/ports/0/protocol", "\"http\""),
        Arguments.of("/services/0/hosts/0", "\"10.0.0.1\""),
        Arguments.of("/services/0/hosts/0", "\"fd00::10\""),
        Arguments.of("/tracing/1/match/mode", "\"server\""),
        Arguments.of("/extensionProviders/0/opentelemetry/grpc/timeout", "\"1.5s\""),
        Arguments.of("/extensionProviders/0/opentelemetry/grpc/timeout", "\"250ms\""),
        Arguments.of("/extensionProviders/0/opentelemetry/grpc/timeout", "\"1m\""),
        Arguments.of("/extensionProviders/1/opentelemetry/http/headers/0/value", "\"tab\\tinside\""),
        Arguments.of("/extensionProviders/2/zipkin/encoding", "\"proto\""),
        Arguments.of("/extensionProviders/1/opentelemetry/http/path", "\"v1/traces\""),
        Arguments.of("/extensionProviders/0/opentelemetry/service", "\"observability/otel-collector.observability.svc.cluster.local\""),
        Arguments.of("/extensionProviders/2/zipkin/timeout", "\"5s\""),
        Arguments.of("/extensionProviders/2/zipkin/traceContextOption", "\"USE_B3\""),
        Arguments.of("/tracing/0/randomSamplingPercentage", "0.01"),
        Arguments.of("/gateway/hosts", "[\"*\", \"*.example.com\", \"example.com\"]"),
        Arguments.of("/gateway/headerRepair/markerHeader", "\"\""),
        Arguments.of("/gateway/headerRepair/extProc/timeout", "\"3600s\""),
        Arguments.of("/server/ads/port", "0"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("acceptedByBoth")
  void validSpelling_acceptedBySchemaAndParser(String pointer, String json) throws IOException {
    ObjectNode doc = with(bundled(), pointer, json);

    assertThat(parserErrors(doc)).as("parser").isEmpty();
    assertThat(schemaErrors(MESH, doc)).as("schema").isEmpty();
  }

  // --- what only the parser can see: references, cross-field rules ---------------------------

  static Stream<Arguments> refusedByParserOnly() {
    return Stream.of(
        Arguments.of("tracing[0].providers[0].name", "/tracing/0/providers/0/name", "\"jaeger\""),
        Arguments.of("services[0].dependencies[0]", "/services/0/dependencies", "[\"nosuch\"]"),
        Arguments.of("sidecar.outboundPort", "/sidecar", "{\"inboundPort\": 15001, \"outboundPort\": 15001}"),
        Arguments.of("gateway.headerRepair.extProc.timeout", "/gateway/headerRepair/extProc/timeout", "\"3601s\""),
        Arguments.of("extensionProviders[1].name", "/extensionProviders/1/name", "\"otel\""));
  }

  @ParameterizedTest(name = "{0} = {2}")
  @MethodSource("refusedByParserOnly")
  void crossFieldProblem_passesSchema_refusedByParserNamingTheField(String field, String pointer, String json)
      throws IOException {
    ObjectNode doc = with(bundled(), pointer, json);

    assertThat(schemaErrors(MESH, doc)).as("schema").isEmpty();
    assertThat(parserErrors(doc)).as("parser").anyMatch(m -> m.startsWith(field));
  }

  // --- the CRD's spec schema -------------------------------------------------------------------

  @Test
  void crdSpecSchema_refusesWhatTheMeshSchemaRefuses_exceptUnknownKeys() throws IOException {
    ObjectNode bad = with(bundled(), "/tracing/0/randomSamplingPercentage", "140");
    bad.remove("server");
    ObjectNode unknown = with(bundled(), "/tracingg", "[]");
    unknown.remove("server");

    assertThat(schemaErrors(CRD_SPEC, bad)).anyMatch(m -> m.startsWith("$.tracing[0].randomSamplingPercentage"));
    // The API server prunes unknown keys (kubectl's strict field validation refuses them); a
    // structural schema cannot say additionalProperties: false next to properties.
    assertThat(schemaErrors(CRD_SPEC, unknown)).isEmpty();
  }

  @Test
  void crdSpecSchema_isStructural() {
    JsonNode spec = MeshTracingCrd.specSchema(MeshTracingCrd.meshSchema());

    assertThat(spec.path("properties").has("server")).isFalse();
    assertThat(spec.path("properties").has("gateway")).isTrue();
    assertStructural(spec, "spec", false);
  }

  /** Kubernetes' structural rules: types everywhere outside junctors, no refs, nothing forbidden. */
  static void assertStructural(JsonNode s, String where, boolean inJunctor) {
    Set<String> forbidden = Set.of("$ref", "$schema", "definitions", "additionalItems",
        "patternProperties", "dependencies", "uniqueItems", "default", "const", "title");
    s.fieldNames().forEachRemaining(k -> assertThat(forbidden).as(where + "/" + k).doesNotContain(k));
    if (inJunctor) {
      assertThat(s.has("type") || s.has("description") || s.has("properties") || s.has("items"))
          .as(where + ": value validations only inside a junctor").isFalse();
    } else {
      assertThat(s.path("type").isTextual()).as(where + " has a type").isTrue();
      assertThat(s.has("properties") && s.has("additionalProperties")).as(where).isFalse();
      assertThat(s.path("additionalProperties").isBoolean()).as(where).isFalse();
    }
    s.path("properties").properties().forEach(e -> assertStructural(e.getValue(), where + "." + e.getKey(), false));
    if (s.has("items")) {
      assertStructural(s.get("items"), where + "[]", false);
    }
    if (s.path("additionalProperties").isObject()) {
      assertStructural(s.get("additionalProperties"), where + ".*", false);
    }
    for (String j : List.of("allOf", "anyOf", "oneOf")) {
      s.path(j).forEach(x -> assertStructural(x, where + "/" + j, true));
    }
    if (s.has("not")) {
      assertStructural(s.get("not"), where + "/not", true);
    }
  }

  static Stream<Arguments> notStructural() {
    return Stream.of(
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\", \"default\": 1}}}", "/properties/a/default"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"uniqueItems\": true}}}", "/properties/a/uniqueItems"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": [\"string\", \"null\"]}}}", "/properties/a/type"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"object\", \"patternProperties\": {\"^x\": {\"type\": \"string\"}}}}}", "/properties/a/patternProperties"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"object\"}}}", "/properties/a: an object without properties"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/definitions/t\"}}, \"definitions\": {\"t\": {\"type\": \"object\", \"properties\": {\"b\": {\"$ref\": \"#/definitions/t\"}}}}}", "recursive"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"other.json#/x\"}}}", "/properties/a/$ref=other.json#/x"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"oneOf\": [{\"type\": \"string\"}]}}}", "/properties/a/oneOf/0/type"),
        Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"properties\": {}}}}", "/properties/a: a structural schema needs a type"));
  }

  @ParameterizedTest
  @MethodSource("notStructural")
  void specSchema_constructWithoutStructuralForm_failsNamingIt(String schema, String expected) {
    ObjectNode s = (ObjectNode) read(schema);
    ((ObjectNode) s.get("properties")).putObject("server").put("type", "string");

    assertThatThrownBy(() -> MeshTracingCrd.specSchema(s))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(expected);
  }

  @Test
  void specSchema_constAndExclusiveBound_becomeEnumAndOpenApiFlag() {
    ObjectNode s = (ObjectNode) read("{\"type\": \"object\", \"properties\": {\"server\": {\"type\": \"string\"},"
        + " \"k\": {\"type\": \"string\", \"const\": \"x\"}, \"n\": {\"type\": \"number\", \"exclusiveMinimum\": 0}}}");

    JsonNode out = MeshTracingCrd.specSchema(s);

    assertThat(out.at("/properties/k/enum")).isEqualTo(read("[\"x\"]"));
    assertThat(out.at("/properties/n/minimum").asInt()).isZero();
    assertThat(out.at("/properties/n/exclusiveMinimum").asBoolean()).isTrue();
  }

  // --- helpers ---------------------------------------------------------------------------------

  static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  /** The document with the value at a JSON pointer set (created, or replacing a list item). */
  static ObjectNode with(ObjectNode doc, String pointer, String json) {
    int slash = pointer.lastIndexOf('/');
    JsonNode parent = slash == 0 ? doc : doc.at(pointer.substring(0, slash));
    String key = pointer.substring(slash + 1);
    if (parent.isMissingNode() && slash > 0) {
      parent = with(doc, pointer.substring(0, slash), "{}").at(pointer.substring(0, slash));
    }
    if (parent instanceof ArrayNode a) {
      a.set(Integer.parseInt(key), read(json));
    } else {
      ((ObjectNode) parent).set(key, read(json));
    }
    return doc;
  }

  static String schemaPath(String field) {
    return field.isEmpty() ? "$:" : "$." + field;
  }

  static String parentOf(String field) {
    int dot = Math.max(field.lastIndexOf('.'), field.lastIndexOf('['));
    return dot < 0 ? "" : field.substring(0, dot);
  }
}
