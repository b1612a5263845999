package io.meshtrace.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import org.junit.jupiter.api.Test;

/**
 * {@code gateway.headerRepair.extProc.tls}: the gateway's {@code ext_proc} cluster gets an
 * {@code UpstreamTlsContext} that checks ext-proc's chain and name and, with a client
 * certificate, does mTLS; bad values are problems naming the key.
 */
class ExtProcTlsSnapshotTest {

  private static String repair(String tls) {
    return """
        gateway:
          headerRepair:
            enabled: true
            extProc:
              host: ext-proc.meshtrace.svc
              port: 18080
              tls: %s
        """.formatted(tls);
  }

  private static Cluster extProcCluster(String tls) throws Exception {
    MeshConfig c = ConfigParser.parse(TestMesh.base() + repair(tls), null);
    MeshSnapshots.Result r = MeshSnapshots.build(c, "gateway/meshtrace-gateway");
    assertThat(r.errors()).isEmpty();
    Cluster ext = r.snapshot().clusters().resources().get("ext_proc");
    assertThat(MeshSnapshots.rules().check(ext)).isEmpty();
    return ext;
  }

  @Test
  void mtls_clusterPresentsClientCertificate_checksExtProcName() throws Exception {
    Cluster ext = extProcCluster("{trustedCa: /etc/meshtrace/tls/ca.crt, "
        + "certChain: /etc/meshtrace/tls/tls.crt, privateKey: /etc/meshtrace/tls/tls.key}");
    assertThat(ext.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    UpstreamTlsContext tls = ext.getTransportSocket().getTypedConfig()
        .unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("ext-proc.meshtrace.svc");
    CertificateValidationContext v = tls.getCommonTlsContext().getValidationContext();
    assertThat(v.getTrustedCa().getFilename()).isEqualTo("/etc/meshtrace/tls/ca.crt");
    assertThat(v.getMatchTypedSubjectAltNamesList()).singleElement().satisfies(m -> {
      assertThat(m.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.DNS);
      assertThat(m.getMatcher().getExact()).isEqualTo("ext-proc.meshtrace.svc");
    });
    assertThat(tls.getCommonTlsContext().getTlsCertificates(0).getCertificateChain()
        .getFilename()).isEqualTo("/etc/meshtrace/tls/tls.crt");
    assertThat(tls.getCommonTlsContext().getTlsCertificates(0).getPrivateKey().getFilename())
        .isEqualTo("/etc/meshtrace/tls/tls.key");
    // Still HTTP/2 for gRPC.
    assertThat(ext.getTypedExtensionProtocolOptionsMap()).containsKey(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
  }

  @Test
  void tls_caOnlyWithSni_noClientCertificate_sniChecked() throws Exception {
    UpstreamTlsContext tls = extProcCluster("{trustedCa: /tls/ca.crt, sni: ext-proc.example}")
        .getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("ext-proc.example");
    assertThat(tls.getCommonTlsContext().getTlsCertificatesList()).isEmpty();
    assertThat(tls.getCommonTlsContext().getValidationContext().getMatchTypedSubjectAltNames(0)
        .getMatcher().getExact()).isEqualTo("ext-proc.example");
  }

  @Test
  void noTls_plaintextCluster() throws Exception {
    MeshSnapshots.Result r = MeshSnapshots.build(ConfigParser.parse(TestMesh.base()
        + GatewaySnapshotTest.REPAIR, null), "gateway/meshtrace-gateway");
    assertThat(r.snapshot().clusters().resources().get("ext_proc").hasTransportSocket())
        .isFalse();
  }

  @Test
  void badTls_problemsNameTheKey() {
    String at = "gateway.headerRepair.extProc.tls";
    assertThat(TestMesh.problems(TestMesh.base() + repair("{certChain: /c, privateKey: /k}")))
        .anyMatch(p -> p.startsWith(at + ".trustedCa=(missing): required"));
    assertThat(TestMesh.problems(TestMesh.base() + repair("{trustedCa: /ca, certChain: /c}")))
        .anyMatch(p -> p.startsWith(at + ".privateKey=(missing): certChain and privateKey go"));
    assertThat(TestMesh.problems(TestMesh.base() + repair("{trustedCa: ca.crt}")))
        .anyMatch(p -> p.startsWith(at + ".trustedCa=ca.crt: must be an absolute path"));
    assertThat(TestMesh.problems(TestMesh.base() + repair("{trustedCa: /ca, sni: 'a b'}")))
        .anyMatch(p -> p.startsWith(at + ".sni=a b: must be a DNS name"));
    assertThat(TestMesh.problems(TestMesh.base() + repair("{trustedCa: /ca, verify: false}")))
        .anyMatch(p -> p.startsWith(at + ".verify=false: unknown key"));
    assertThat(TestMesh.problems(TestMesh.base() + repair("[/ca]")))
        .anyMatch(p -> p.startsWith(at + "=") && p.contains("must be a mapping"));
    assertThat(TestMesh.problems(TestMesh.base() + repair("{trustedCa: /ca}"))).isEmpty();
  }
}
