package io.meshtrace.xds.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.XdsApplication;
import io.meshtrace.xds.admin.Fleet;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peers from the EndpointSlices of the xds-server Service, against the CRUD mock API server (not
 * a real kube-apiserver): this pod and unready endpoints left out, the port named
 * {@code http-admin} used, and the fleet view of replica A reaching replica B through them.
 */
class ServicePeersTest {

  private static final String NS = "meshtrace";

  @TempDir
  Path dirA;
  @TempDir
  Path dirB;

  private static EndpointSlice slice(String name, String service, int port, String pod,
      String address, boolean ready) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withName(name).withNamespace(NS)
        .addToLabels("kubernetes.io/service-name", service).endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("grpc-xds").withPort(18000).endPort()
        .addNewPort().withName(ServicePeers.ADMIN_PORT_NAME).withPort(port).endPort()
        .withEndpoints(new EndpointBuilder().withAddresses(address)
            .withNewConditions().withReady(ready).endConditions()
            .withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withName(pod)
                .withNamespace(NS).build()).build())
        .build();
  }

  @Test
  void peers_fromEndpointSlices_withoutSelfOrUnready_andFleetViewThroughThem() throws Exception {
    try (MockApiServer api = new MockApiServer();
        TestServer b = TestServer.start(dirB, TestMesh.base())) {
      KubernetesClient client = api.client();
      var slices = client.discovery().v1().endpointSlices().inNamespace(NS);
      slices.resource(slice("xds-server-a", "xds-server", 1, "xds-a", "127.0.0.1", true))
          .create();
      slices.resource(slice("xds-server-b", "xds-server", b.app.adminPort(), "xds-b",
          "127.0.0.1", true)).create();
      slices.resource(slice("xds-server-c", "xds-server", 2, "xds-c", "10.0.0.3", false))
          .create();
      slices.resource(slice("other-x", "other", 3, "other-x", "10.0.0.4", true)).create();

      ServicePeers peers = new ServicePeers(client, NS, "xds-server", "http", 18001, "xds-a",
          false);
      assertThat(peers.peers()).containsExactly(
          URI.create("http://127.0.0.1:" + b.app.adminPort()));
      assertThat(peers.describe()).isEqualTo("EndpointSlices of Service meshtrace/xds-server");

      Files.writeString(dirA.resolve("token"), TestServer.TOKEN + "\n");
      Path file = dirA.resolve("mesh.yaml");
      Files.writeString(file, TestServer.withServer(TestMesh.base()));
      try (XdsApplication a = XdsApplication.start(new XdsApplication.Options(file, null, 0, 0,
          Duration.ofMillis(100), null, null, null, new Fleet("xds-a", peers), null))) {
        var http = java.net.http.HttpClient.newHttpClient();
        String body = http.send(java.net.http.HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + a.adminPort() + "/proxies?scope=fleet"))
            .header("Authorization", "Bearer " + TestServer.TOKEN).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        JsonNode view = new ObjectMapper().readTree(body);
        assertThat(view.path("peers").asText()).isEqualTo(peers.describe());
        List<String> rows = new ArrayList<>();
        view.path("replicas").forEach(r -> rows.add(r.path("replica").asText() + ":"
            + r.path("state").asText()));
        assertThat(rows).containsExactly("xds-a:ok", Fleet.defaultReplica() + ":ok");
      }
    }
  }
}
