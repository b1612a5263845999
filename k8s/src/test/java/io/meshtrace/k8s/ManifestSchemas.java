package io.meshtrace.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hand-written JSON schemas of src/test/resources/schemas/ (a strict subset of the
 * Kubernetes and Istio OpenAPI schemas: only the fields these manifests may use), chosen by
 * apiVersion and kind.
 */
final class ManifestSchemas {
  static final String ID_PREFIX = "https://schemas.meshtrace.test/";

  /** apiVersion + "/" + kind -> schema file. A kind missing here is an error, not a skip. */
  private static final Map<String, String> BY_KIND = Map.ofEntries(
      Map.entry("v1/Namespace", "namespace.json"),
      Map.entry("v1/ServiceAccount", "serviceaccount.json"),
      Map.entry("v1/ConfigMap", "configmap.json"),
      Map.entry("v1/Service", "service.json"),
      Map.entry("apps/v1/Deployment", "deployment.json"),
      Map.entry("policy/v1/PodDisruptionBudget", "poddisruptionbudget.json"),
      Map.entry("kustomize.config.k8s.io/v1beta1/Kustomization", "kustomization.json"),
      Map.entry("networking.istio.io/v1alpha3/EnvoyFilter", "envoyfilter.json"),
      Map.entry("networking.istio.io/v1/Gateway", "gateway.json"),
      Map.entry("networking.istio.io/v1/VirtualService", "virtualservice.json"),
      Map.entry("telemetry.istio.io/v1/Telemetry", "telemetry.json"),
      Map.entry("install.istio.io/v1alpha1/IstioOperator", "istiooperator.json"),
      Map.entry("opentelemetry.io/v1alpha1/Instrumentation", "instrumentation.json"),
      Map.entry("kustomize.config.k8s.io/v1alpha1/Component", "kustomization.json"),
      Map.entry("apiextensions.k8s.io/v1/CustomResourceDefinition", "customresourcedefinition.json"),
      Map.entry("rbac.authorization.k8s.io/v1/Role", "role.json"),
      Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", "rolebinding.json"),
      Map.entry("meshtrace.io/v1alpha1/MeshTracing", "meshtracing.json"),
      Map.entry("cert-manager.io/v1/Certificate", "certificate.json"),
      Map.entry("cert-manager.io/v1/Issuer", "issuer.json"));

  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(
      SpecVersion.VersionFlag.V202012,
      b -> b.schemaMappers(m -> m.mapPrefix(ID_PREFIX, "classpath:schemas/")));
  private static final Map<String, JsonSchema> CACHE = new ConcurrentHashMap<>();

  private ManifestSchemas() {}

  static Set<String> kinds() {
    return BY_KIND.keySet();
  }

  static JsonSchema schema(String file) {
    return CACHE.computeIfAbsent(file, f -> {
      JsonSchema s = FACTORY.getSchema(SchemaLocation.of(ID_PREFIX + f));
      s.initializeValidators(); // resolve every $ref now: a broken schema fails here
      return s;
    });
  }

  /** Validation errors of one Kubernetes object; unknown apiVersion/kind is an error too. */
  static List<String> validate(JsonNode doc) {
    String key = doc.path("apiVersion").asText("?") + "/" + doc.path("kind").asText("?");
    String file = BY_KIND.get(key);
    if (file == null) {
      return List.of("no schema for " + key + " (add one under src/test/resources/schemas/)");
    }
    List<String> errors = new java.util.ArrayList<>(messages(schema(file).validate(doc)));
    if (key.equals("meshtrace.io/v1alpha1/MeshTracing")) {
      // What the API server checks (the shipped CRD's schema), and the stricter mesh schema
      // that also refuses unknown keys (the API server would prune them).
      messages(crdSpecSchema().validate(doc.path("spec"))).forEach(m -> errors.add("CRD schema: " + m));
      messages(MESH.validate(doc.path("spec"))).forEach(m -> errors.add("mesh schema: " + m));
    }
    return errors;
  }

  /** The spec schema of the shipped CRD (OpenAPI 3.0: draft-4 JSON Schema plus annotations). */
  static JsonSchema crdSpecSchema() {
    return CACHE.computeIfAbsent("crd spec", f -> {
      JsonNode crd = ModuleTree.single(ModuleTree.file(Layout.CRD));
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(
          crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec"));
    });
  }

  /** The JSON Schema of the mesh document, as xds-server ships it. */
  static final JsonSchema MESH = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
      .getSchema(io.meshtrace.xds.kubernetes.MeshTracingCrd.meshSchema());

  /** Validation errors of a document against a named schema file. */
  static List<String> validate(JsonNode doc, String file) {
    return messages(schema(file).validate(doc));
  }

  private static List<String> messages(Set<ValidationMessage> errors) {
    return errors.stream().map(ValidationMessage::getMessage).sorted().toList();
  }
}
