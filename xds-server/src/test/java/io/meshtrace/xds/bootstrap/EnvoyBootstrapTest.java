package io.meshtrace.xds.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.NodeRole;
import org.junit.jupiter.api.Test;

class EnvoyBootstrapTest {

  private static final EnvoyBootstrap.Options GATEWAY = new EnvoyBootstrap.Options(
      "meshtrace-gateway", "meshtrace-gateway", NodeRole.GATEWAY, "xds-server.meshtrace.svc",
      18000, 15000, true);

  @Test
  void gateway_yamlDecodesToTheProto_passesEnvoyRules() throws Exception {
    String yaml = EnvoyBootstrap.yaml(GATEWAY);
    Bootstrap b = EnvoyBootstrap.parse(yaml);
    assertThat(b).isEqualTo(EnvoyBootstrap.proto(GATEWAY));
    assertThat(EnvoyBootstrap.check(b)).isEmpty();

    assertThat(b.getNode().getId()).isEqualTo("meshtrace-gateway");
    assertThat(b.getNode().getCluster()).isEqualTo("meshtrace-gateway");
    assertThat(b.getNode().getMetadata().getFieldsOrThrow("role").getStringValue())
        .isEqualTo("gateway");
    assertThat(new NodeGroups().hash(b.getNode())).hasToString("gateway/meshtrace-gateway");
    assertThat(b.getBootstrapExtensionsList()).singleElement().satisfies(e -> {
      assertThat(e.getName()).isEqualTo("envoy.bootstrap.internal_listener");
      assertThat(e.getTypedConfig().getTypeUrl()).endsWith(
          "envoy.extensions.bootstrap.internal_listener.v3.InternalListener");
    });
    ApiConfigSource ads = b.getDynamicResources().getAdsConfig();
    assertThat(ads.getApiType()).isEqualTo(ApiConfigSource.ApiType.DELTA_GRPC);
    assertThat(ads.getSetNodeOnFirstMessageOnly()).isTrue();
    assertThat(ads.getGrpcServices(0).getEnvoyGrpc().getClusterName()).isEqualTo("xds_cluster");
    assertThat(b.getDynamicResources().getLdsConfig().hasAds()).isTrue();
    assertThat(b.getDynamicResources().getCdsConfig().hasAds()).isTrue();
    Cluster xds = b.getStaticResources().getClusters(0);
    assertThat(xds.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    assertThat(xds.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint()
        .getAddress().getSocketAddress().getPortValue()).isEqualTo(18000);
    assertThat(xds.getTypedExtensionProtocolOptionsMap()
        .get("envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
        .unpack(HttpProtocolOptions.class).getExplicitHttpConfig().hasHttp2ProtocolOptions())
        .isTrue();
    assertThat(b.getAdmin().getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
    assertThat(b.getAdmin().getAddress().getSocketAddress().getPortValue()).isEqualTo(15000);
  }

  @Test
  void sidecar_sotw_ipHost_noInternalListener_staticCluster() throws Exception {
    EnvoyBootstrap.Options o = new EnvoyBootstrap.Options("pp-1", "productpage",
        NodeRole.SIDECAR, "127.0.0.1", 18000, 15002, false);
    Bootstrap b = EnvoyBootstrap.parse(EnvoyBootstrap.yaml(o));
    assertThat(b).isEqualTo(EnvoyBootstrap.proto(o));
    assertThat(EnvoyBootstrap.check(b)).isEmpty();
    assertThat(b.getBootstrapExtensionsList()).isEmpty();
    assertThat(b.getDynamicResources().getAdsConfig().getApiType())
        .isEqualTo(ApiConfigSource.ApiType.GRPC);
    assertThat(b.getStaticResources().getClusters(0).getType())
        .isEqualTo(Cluster.DiscoveryType.STATIC);
    assertThat(new NodeGroups().hash(b.getNode())).hasToString("sidecar/productpage");
  }

  @Test
  void yaml_namesTheCommandThatPrintsIt() {
    assertThat(EnvoyBootstrap.yaml(GATEWAY)).contains("# Generated, do not edit: "
        + "xds-server bootstrap --node-id meshtrace-gateway --cluster meshtrace-gateway"
        + " --role gateway --xds-host xds-server.meshtrace.svc --xds-port 18000"
        + " --admin-port 15000 --delta\n");
  }

  @Test
  void tls_mutual_upstreamTlsContextOnTheXdsCluster_readBack() throws Exception {
    EnvoyBootstrap.Options o = new EnvoyBootstrap.Options("gw-1", "meshtrace-gateway",
        NodeRole.GATEWAY, "xds-server.meshtrace.svc", 18000, 15000, true,
        EnvoyBootstrap.tls("/etc/meshtrace/tls/ca.crt", "/etc/meshtrace/tls/tls.crt",
            "/etc/meshtrace/tls/tls.key", null));
    String yaml = EnvoyBootstrap.yaml(o);
    Bootstrap b = EnvoyBootstrap.parse(yaml);
    assertThat(b).isEqualTo(EnvoyBootstrap.proto(o));
    assertThat(EnvoyBootstrap.check(b)).isEmpty();
    TransportSocket socket = b.getStaticResources().getClusters(0).getTransportSocket();
    assertThat(socket.getName()).isEqualTo("envoy.transport_sockets.tls");
    UpstreamTlsContext tls = socket.getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("xds-server.meshtrace.svc");
    CertificateValidationContext v = tls.getCommonTlsContext().getValidationContext();
    assertThat(v.getTrustedCa().getFilename()).isEqualTo("/etc/meshtrace/tls/ca.crt");
    assertThat(v.getMatchTypedSubjectAltNamesList()).singleElement().satisfies(m -> {
      assertThat(m.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.DNS);
      assertThat(m.getMatcher().getExact()).isEqualTo("xds-server.meshtrace.svc");
    });
    assertThat(tls.getCommonTlsContext().getTlsCertificatesList()).singleElement()
        .satisfies(c -> {
          assertThat(c.getCertificateChain().getFilename())
              .isEqualTo("/etc/meshtrace/tls/tls.crt");
          assertThat(c.getPrivateKey().getFilename()).isEqualTo("/etc/meshtrace/tls/tls.key");
        });
    assertThat(yaml).contains("# ADS over mTLS").contains(" --xds-tls-ca /etc/meshtrace/tls/ca.crt"
        + " --xds-tls-cert /etc/meshtrace/tls/tls.crt --xds-tls-key /etc/meshtrace/tls/tls.key\n");
  }

  @Test
  void tls_caOnly_ipHost_sniLeftOut_ipSanRequired() throws Exception {
    EnvoyBootstrap.Options o = new EnvoyBootstrap.Options("pp-1", "productpage",
        NodeRole.SIDECAR, "10.0.0.5", 18000, 15000, false,
        EnvoyBootstrap.tls("/tls/ca.crt", null, null, null));
    UpstreamTlsContext tls = EnvoyBootstrap.parse(EnvoyBootstrap.yaml(o)).getStaticResources()
        .getClusters(0).getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEmpty();
    assertThat(tls.getCommonTlsContext().getTlsCertificatesList()).isEmpty();
    assertThat(tls.getCommonTlsContext().getValidationContext()
        .getMatchTypedSubjectAltNames(0)).satisfies(m -> {
          assertThat(m.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.IP_ADDRESS);
          assertThat(m.getMatcher().getExact()).isEqualTo("10.0.0.5");
        });
    UpstreamTlsContext named = EnvoyBootstrap.proto(new EnvoyBootstrap.Options("pp-1",
        "productpage", NodeRole.SIDECAR, "10.0.0.5", 18000, 15000, false,
        EnvoyBootstrap.tls("/tls/ca.crt", null, null, "xds.example.com"))).getStaticResources()
        .getClusters(0).getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(named.getSni()).isEqualTo("xds.example.com");
    assertThat(named.getCommonTlsContext().getValidationContext()
        .getMatchTypedSubjectAltNames(0).getMatcher().getExact()).isEqualTo("xds.example.com");
  }

  @Test
  void tls_badFlags_messageNamesTheFlag() {
    assertThat(EnvoyBootstrap.tls(null, null, null, null)).isNull();
    assertThatThrownBy(() -> EnvoyBootstrap.tls(null, "/c", "/k", null))
        .hasMessageStartingWith("--xds-tls-ca: required");
    assertThatThrownBy(() -> EnvoyBootstrap.tls("/ca", "/c", null, null))
        .hasMessageStartingWith("--xds-tls-key: required with --xds-tls-cert");
    assertThatThrownBy(() -> EnvoyBootstrap.tls("/ca", null, "/k", null))
        .hasMessageStartingWith("--xds-tls-cert: required with --xds-tls-key");
    assertThatThrownBy(() -> EnvoyBootstrap.tls("ca.crt", null, null, null))
        .hasMessageStartingWith("--xds-tls-ca=ca.crt: must be an absolute path");
    assertThatThrownBy(() -> EnvoyBootstrap.tls("/ca\n#x", null, null, null))
        .hasMessageStartingWith("--xds-tls-ca=$'/ca\\n#x': must be an absolute path");
    assertThatThrownBy(() -> EnvoyBootstrap.tls("/ca", null, null, "10.0.0.1"))
        .hasMessageStartingWith("--xds-tls-sni=10.0.0.1: must be a DNS name");
    assertThatThrownBy(() -> EnvoyBootstrap.tls("/ca", null, null, "a b"))
        .hasMessageStartingWith("--xds-tls-sni='a b': must be a DNS name");
  }

  @Test
  void parse_unknownField_fails() {
    assertThatThrownBy(() -> EnvoyBootstrap.parse(EnvoyBootstrap.yaml(GATEWAY)
        .replace("set_node_on_first_message_only", "set_node_on_first_msg_only")))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining("set_node_on_first_msg_only");
  }
}
