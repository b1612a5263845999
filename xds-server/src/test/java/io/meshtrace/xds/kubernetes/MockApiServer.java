package io.meshtrace.xds.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * fabric8's {@code kubernetes-server-mock} in CRUD mode on 127.0.0.1, a free port, with the
 * MeshTracing CRD (as {@link MeshTracingCrd} generates it) installed.
 *
 * <p>It is not a real kube-apiserver, but the only API server that runs on the build machines:
 * it stores objects, bumps resourceVersion and generation, refuses an update naming a stale
 * resourceVersion (409), keeps spec and status subresource apart and serves watches. It does not
 * validate against the CRD's schema, does not check RBAC, and takes a status update without a
 * resourceVersion check.
 */
final class MockApiServer implements AutoCloseable {
  final KubernetesMockServer server;
  private final List<KubernetesClient> clients = new ArrayList<>();

  MockApiServer() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    try {
      server.init(InetAddress.getByName("127.0.0.1"), 0);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
    KubernetesClient admin = client();
    CustomResourceDefinition crd = admin.getKubernetesSerialization().unmarshal(
        MeshTracingCrd.customResourceDefinition().toString(), CustomResourceDefinition.class);
    admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
  }

  /** A new client, as one xds-server replica has (closed with the server). */
  KubernetesClient client() {
    KubernetesClient c = server.createClient();
    clients.add(c);
    return c;
  }

  static Resource<GenericKubernetesResource> resource(KubernetesClient c, MeshTracingRef ref) {
    return c.genericKubernetesResources(MeshTracingApi.context()).inNamespace(ref.namespace())
        .withName(ref.name());
  }

  /** Creates the MeshTracing with {@code spec}. */
  static GenericKubernetesResource create(KubernetesClient c, MeshTracingRef ref, JsonNode spec) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(MeshTracingApi.API_VERSION);
    r.setKind(MeshTracingApi.KIND);
    r.setMetadata(new ObjectMetaBuilder().withNamespace(ref.namespace()).withName(ref.name())
        .build());
    r.setAdditionalProperty("spec", asMap(spec));
    return c.genericKubernetesResources(MeshTracingApi.context()).inNamespace(ref.namespace())
        .resource(r).create();
  }

  /** Replaces the spec as {@code kubectl edit} would (locked to the resourceVersion it read). */
  static GenericKubernetesResource editSpec(KubernetesClient c, MeshTracingRef ref, JsonNode spec) {
    GenericKubernetesResource cur = resource(c, ref).get();
    cur.setAdditionalProperty("spec", asMap(spec));
    return c.resource(cur).update();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(JsonNode n) {
    return MeshTracingSnapshot.JSON.convertValue(n, Map.class);
  }

  static ObjectNode spec(String json) {
    try {
      return (ObjectNode) MeshTracingSnapshot.JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  @Override
  public void close() {
    clients.forEach(KubernetesClient::close);
    server.destroy();
  }
}
