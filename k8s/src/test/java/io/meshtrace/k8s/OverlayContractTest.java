package io.meshtrace.k8s;

import static io.meshtrace.k8s.RenderedOverlayTest.assertResolves;
import static io.meshtrace.k8s.RenderedOverlayTest.assertServeContract;
import static io.meshtrace.k8s.RenderedOverlayTest.mountedFile;
import static io.meshtrace.k8s.RenderedOverlayTest.podSpec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.kubernetes.ServicePeers;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What each overlay promises: the CLI contracts of xds-server and ext-proc, the gateway wiring,
 * and every in-cluster address in an Envoy or component config resolving to a Service port.
 */
class OverlayContractTest {
  static Kustomize.Build standalone() {
    return RenderedOverlayTest.build("overlays/standalone");
  }

  static Stream<String> istioOverlays() {
    return Layout.OVERLAYS.stream().filter(o -> o.startsWith("overlays/istio"));
  }

  static String env(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals(name)) {
        return e.path("value").asText();
      }
    }
    throw new AssertionError("no env " + name);
  }

  /** Socket addresses of the DNS clusters of a decoded config (internal and static ones have none). */
  static List<ServiceAddress> dnsClusterAddresses(List<Cluster> clusters) {
    List<ServiceAddress> out = new ArrayList<>();
    for (Cluster c : clusters) {
      if (c.getType() == Cluster.DiscoveryType.STRICT_DNS || c.getType() == Cluster.DiscoveryType.LOGICAL_DNS) {
        for (var e : c.getLoadAssignment().getEndpointsList()) {
          for (var lb : e.getLbEndpointsList()) {
            var sa = lb.getEndpoint().getAddress().getSocketAddress();
            out.add(ServiceAddress.parse(sa.getAddress(), sa.getPortValue()));
          }
        }
      }
    }
    return out;
  }

  // --- standalone ------------------------------------------------------------------------------

  @Test
  void standalone_xdsServerAndExtProc_startWithTheAgreedCommandLine() {
    Kustomize.Build b = standalone();
    // The overlay runs xds-server on the Kubernetes source, on the MeshTracing it ships;
    // base/standalone (the ConfigMap layout) on the file.
    assertServeContract(b, "xds-server", 18000, 18001,
        List.of("--source", "kubernetes", "--namespace", "meshtrace", "--name", "bookinfo",
            "--peers-service", "xds-server", "--replica", "$(POD_NAME)"));
    assertThat(b.get("MeshTracing", "meshtrace", "bookinfo")).isNotNull();
    assertServeContract(RenderedOverlayTest.build("base/standalone"), "xds-server", 18000, 18001, "/etc/meshtrace/xds.yaml");
    assertServeContract(b, "ext-proc", 18080, 18081, "/etc/meshtrace/ext-proc.yaml");

    JsonNode xds = podSpec(b.get("Deployment", "meshtrace", "xds-server")).path("containers").get(0);
    assertThat(xds.path("env").findValues("secretKeyRef")).singleElement()
        .satisfies(r -> assertThat(r.path("name").asText()).isEqualTo("meshtrace-admin"));
    assertThat(xds.path("env").findValues("name")).extracting(JsonNode::asText)
        .contains("MESHTRACE_ADMIN_TOKEN");
  }

  /**
   * {@code GET /proxies?scope=fleet} works in the cluster: the Service {@code --peers-service}
   * names is the one in front of xds-server, its port {@link ServicePeers#ADMIN_PORT_NAME} (where
   * peers are asked) is the container's admin port, {@code --replica} is the pod name (what the
   * EndpointSlices' {@code targetRef.name} holds, so a replica does not ask itself), and the Role
   * reads EndpointSlices.
   */
  @Test
  void standalone_xdsServer_findsItsPeersThroughItsOwnService_namedByThePodName() {
    Kustomize.Build b = standalone();
    ObjectNode d = b.get("Deployment", "meshtrace", "xds-server");
    JsonNode c = podSpec(d).path("containers").get(0);
    List<String> args = new ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));

    String service = args.get(args.indexOf("--peers-service") + 1);
    ObjectNode svc = b.get("Service", "meshtrace", service);
    assertThat(svc).as("Service %s", service).isNotNull();
    JsonNode selector = svc.path("spec").path("selector");
    selector.properties().forEach(e -> assertThat(podSpecLabels(d).path(e.getKey()).asText())
        .as("selector %s", e.getKey()).isEqualTo(e.getValue().asText()));
    JsonNode adminPort = null;
    for (JsonNode p : svc.path("spec").path("ports")) {
      if (p.path("name").asText().equals(ServicePeers.ADMIN_PORT_NAME)) {
        adminPort = p;
      }
    }
    assertThat(adminPort).as("port %s of Service %s", ServicePeers.ADMIN_PORT_NAME, service)
        .isNotNull();
    assertThat(RenderedOverlayTest.containerPortNumber(c, adminPort.path("targetPort").asText()))
        .isEqualTo(Integer.parseInt(args.get(args.indexOf("--admin-port") + 1)));
    assertThat(adminPort.path("port").asInt()).as("peers are asked on the Service's port number")
        .isEqualTo(18001);

    assertThat(args.get(args.indexOf("--replica") + 1)).isEqualTo("$(POD_NAME)");
    JsonNode podName = null;
    for (JsonNode e : c.path("env")) {
      if (e.path("name").asText().equals("POD_NAME")) {
        podName = e;
      }
    }
    assertThat(podName).as("env POD_NAME").isNotNull();
    assertThat(podName.path("valueFrom").path("fieldRef").path("fieldPath").asText())
        .isEqualTo("metadata.name");

    boolean readsSlices = false;
    for (JsonNode rule : b.get("Role", "meshtrace", "xds-server").path("rules")) {
      if (rule.path("apiGroups").toString().contains("discovery.k8s.io")
          && rule.path("resources").toString().contains("\"endpointslices\"")
          && rule.path("verbs").toString().contains("\"list\"")) {
        readsSlices = true;
      }
    }
    assertThat(readsSlices).as("Role xds-server lists endpointslices").isTrue();
  }

  private static JsonNode podSpecLabels(JsonNode deployment) {
    return deployment.path("spec").path("template").path("metadata").path("labels");
  }

  @Test
  void standalone_grpcServices_declareAppProtocolGrpc() {
    Kustomize.Build b = standalone();
    for (String svc : List.of("ext-proc", "xds-server")) {
      JsonNode port = b.get("Service", "meshtrace", svc).path("spec").path("ports").get(0);
      assertThat(port.path("appProtocol").asText()).isEqualTo("grpc");
      assertThat(port.path("name").asText()).startsWith("grpc");
    }
  }

  @Test
  void standalone_gateway_mountsTheShippedBootstrapAndNamesEachReplica() {
    Kustomize.Build b = standalone();
    ObjectNode gw = b.get("Deployment", "meshtrace", "meshtrace-gateway");
    JsonNode c = podSpec(gw).path("containers").get(0);
    List<String> args = new ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));

    assertThat(c.path("image").asText()).startsWith("envoyproxy/envoy:v1.34.");
    String configPath = args.get(args.indexOf("--config-path") + 1);
    String mounted = mountedFile(b, gw, configPath);
    assertThat(mounted).isEqualTo(ModuleTree.read(ModuleTree.file("envoy/gateway-bootstrap.yaml")));
    Bootstrap bootstrap = EnvoyJson.bootstrap(ModuleTree.documents(mounted, configPath).get(0), configPath);
    assertThat(bootstrap.getNode().getMetadata().getFieldsOrThrow("role").getStringValue()).isEqualTo("gateway");
    assertThat(args.get(args.indexOf("--service-node") + 1)).isEqualTo("$(POD_NAME)");
    assertThat(c.path("env").get(0).path("valueFrom").path("fieldRef").path("fieldPath").asText()).isEqualTo("metadata.name");
    assertThat(RenderedOverlayTest.containerPortNumber(c, "http")).isEqualTo(8080);
  }

  @Test
  void standalone_envoyConfigAddresses_resolveToServicePorts() {
    Kustomize.Build b = standalone();
    List<ServiceAddress> addresses = new ArrayList<>();
    for (String file : Layout.ENVOY_CONFIGS) {
      if (file.equals(Layout.MTLS_BOOTSTRAP)) {
        continue; // overlays/mtls only (MtlsOverlayTest)
      }
      addresses.addAll(dnsClusterAddresses(EnvoyConfigTest.load(file).getStaticResources().getClustersList()));
    }

    assertThat(addresses).hasSize(5);
    addresses.forEach(a -> assertResolves(b, a));
  }

  @Test
  void standalone_componentConfigAddresses_resolveToServicePorts() {
    Kustomize.Build b = standalone();
    MeshConfig xds = ComponentConfigTest.xdsConfig();
    int n = 0;
    for (MeshConfig.Service s : xds.services()) {
      for (MeshConfig.Endpoint e : s.endpoints()) {
        MeshConfig.Port port = s.ports().get(0);
        assertResolves(b, ServiceAddress.parse(e.address(), e.ports().getOrDefault(port.name(), port.targetPort())));
        n++;
      }
    }
    for (MeshConfig.Provider p : xds.providers()) {
      if (p instanceof MeshConfig.SkyWalking) {
        continue; // documented as not deployed
      }
      assertResolves(b, ServiceAddress.parse(p.host(), p.port()));
      n++;
    }
    MeshConfig.HeaderRepair repair = xds.gateway().headerRepair();
    assertResolves(b, ServiceAddress.parse(repair.extProcHost(), repair.extProcPort()));
    n++;
    JsonNode collector = ModuleTree.single(ModuleTree.file("base/common/config/otel-collector.yaml"));
    assertResolves(b, ServiceAddress.parseUrl(collector.path("exporters").path("zipkin").path("endpoint").asText()));

    JsonNode traffic = podSpec(b.get("Deployment", "meshtrace", "traffic")).path("containers").get(0);
    assertResolves(b, ServiceAddress.parseUrl(env(traffic, "TARGET_URL")));
    assertThat(n).isEqualTo(7);
  }

  // --- istio -----------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("istioOverlays")
  void istio_deploysExtProcButNeitherXdsServerNorTheMeshtraceGateway(String overlay) {
    Kustomize.Build b = RenderedOverlayTest.build(overlay);
    assertServeContract(b, "ext-proc", 18080, 18081, "/etc/meshtrace/ext-proc.yaml");

    assertThat(b.ofKind("Deployment")).extracting(RenderedOverlayTest::name)
        .doesNotContain("xds-server", "meshtrace-gateway");
    assertThat(b.ofKind("EnvoyFilter")).hasSize(1);
    assertThat(b.ofKind("Telemetry")).isNotEmpty();
  }

  @ParameterizedTest
  @MethodSource("istioOverlays")
  void istio_bookinfoIsInjected_trafficAndMeshtraceAreNot(String overlay) {
    Kustomize.Build b = RenderedOverlayTest.build(overlay);

    assertThat(b.get("Namespace", "", "bookinfo").path("metadata").path("labels").path("istio-injection").asText()).isEqualTo("enabled");
    assertThat(b.get("Namespace", "", "meshtrace").path("metadata").path("labels").path("istio-injection").asText()).isEqualTo("disabled");
    ObjectNode traffic = b.get("Deployment", "meshtrace", "traffic");
    assertThat(traffic.path("spec").path("template").path("metadata").path("annotations").path("sidecar.istio.io/inject").asText()).isEqualTo("false");
    String target = env(podSpec(traffic).path("containers").get(0), "TARGET_URL");
    assertThat(ServiceAddress.parseUrl(target)).isEqualTo(new ServiceAddress("istio-ingressgateway", "istio-system", 80));
  }

  @ParameterizedTest
  @MethodSource("istioOverlays")
  void istio_envoyFilterAndProviderAddresses_resolveToServicePorts(String overlay) {
    Kustomize.Build b = RenderedOverlayTest.build(overlay);
    List<ServiceAddress> addresses = new ArrayList<>();
    for (ObjectNode ef : b.ofKind("EnvoyFilter")) {
      addresses.addAll(dnsClusterAddresses(EnvoyFilterPatchTest.decode(ef).clusters()));
    }
    assertThat(addresses).contains(new ServiceAddress("ext-proc", "meshtrace", 18080));
    addresses.forEach(a -> assertResolves(b, a));

    JsonNode io = ModuleTree.single(ModuleTree.file("overlays/istio/install/istio-operator.yaml"));
    int n = 0;
    for (JsonNode p : io.path("spec").path("meshConfig").path("extensionProviders")) {
      if (p.has("skywalking") || p.has("datadog")) {
        continue; // documented as not deployed
      }
      JsonNode cfg = p.has("opentelemetry") ? p.path("opentelemetry") : p.path("zipkin");
      // Istio's [<namespace>/]<hostname>: the host name is what the proxy reaches.
      String service = cfg.path("service").asText();
      assertResolves(b, ServiceAddress.parse(service.substring(service.indexOf('/') + 1), cfg.path("port").asInt()));
      n++;
    }
    assertThat(n).isEqualTo(3);

    JsonNode vs = b.get("VirtualService", "bookinfo", "bookinfo");
    for (JsonNode http : vs.path("spec").path("http")) {
      for (JsonNode r : http.path("route")) {
        assertResolves(b, ServiceAddress.parse(r.path("destination").path("host").asText(), r.path("destination").path("port").path("number").asInt()));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("istioOverlays")
  void istio_telemetryProviders_areDefinedInMeshConfig(String overlay) {
    JsonNode io = ModuleTree.single(ModuleTree.file("overlays/istio/install/istio-operator.yaml"));
    List<String> defined = new ArrayList<>();
    io.path("spec").path("meshConfig").path("extensionProviders").forEach(p -> defined.add(p.path("name").asText()));
    assertThat(defined).doesNotHaveDuplicates().hasSize(5);

    for (ObjectNode t : RenderedOverlayTest.build(overlay).ofKind("Telemetry")) {
      for (JsonNode tr : t.path("spec").path("tracing")) {
        tr.path("providers").forEach(p -> assertThat(defined).contains(p.path("name").asText()));
      }
    }
    io.path("spec").path("meshConfig").path("defaultProviders").path("tracing").forEach(p -> assertThat(defined).contains(p.asText()));
  }
}
