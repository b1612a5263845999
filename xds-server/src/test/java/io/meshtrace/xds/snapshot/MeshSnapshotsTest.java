package io.meshtrace.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MeshSnapshotsTest {

  private static MeshConfig parse(String yaml) throws Exception {
    return ConfigParser.parse(yaml, null);
  }

  @Test
  void build_sameConfigTwice_sameVersions() throws Exception {
    MeshConfig a = parse(Files.readString(Path.of("config/bookinfo.yaml")));
    MeshConfig b = parse(Files.readString(Path.of("config/bookinfo.yaml")));
    for (GroupKey g : MeshSnapshots.groups(a)) {
      assertThat(MeshSnapshots.build(a, g).versions())
          .isEqualTo(MeshSnapshots.build(b, g).versions());
    }
  }

  @Test
  void build_samplingChange_onlyListenersVersionChanges() throws Exception {
    MeshConfig a = parse(TestMesh.base());
    MeshConfig b = parse(TestMesh.base().replace("randomSamplingPercentage: 10",
        "randomSamplingPercentage: 11"));
    Map<String, String> va = MeshSnapshots.build(a, "sidecar/productpage").versions();
    Map<String, String> vb = MeshSnapshots.build(b, "sidecar/productpage").versions();
    assertThat(vb.get("listeners")).isNotEqualTo(va.get("listeners"));
    assertThat(vb.get("clusters")).isEqualTo(va.get("clusters"));
    assertThat(vb.get("endpoints")).isEqualTo(va.get("endpoints"));
    assertThat(vb.get("routes")).isEqualTo(va.get("routes"));
  }

  @Test
  void sidecar_hostEqualToName_domainsUnique() throws Exception {
    MeshConfig c = parse(TestMesh.base().replace("  - name: reviews\n",
        "  - name: reviews\n    hosts: [reviews, reviews.default.svc.cluster.local]\n"));
    MeshSnapshots.Result r = MeshSnapshots.build(c, "sidecar/productpage");
    assertThat(r.errors()).isEmpty();
    RouteConfiguration rc = r.snapshot().routes().resources().get("outbound");
    Set<String> all = new HashSet<>();
    for (VirtualHost v : rc.getVirtualHostsList()) {
      assertThat(new HashSet<>(v.getDomainsList())).hasSize(v.getDomainsCount());
      for (String d : v.getDomainsList()) {
        assertThat(all.add(d)).as("domain %s twice", d).isTrue();
      }
    }
    assertThat(all).contains("reviews.default.svc.cluster.local:9080");
  }

  @Test
  void grpcRole_listenersForNameHostsAndPorts() throws Exception {
    MeshConfig c = parse(TestMesh.base().replace("  - name: reviews\n",
        "  - name: reviews\n    hosts: [reviews.default.svc.cluster.local]\n"));
    MeshSnapshots.Result r = MeshSnapshots.build(c, "grpc/");
    assertThat(r.snapshot().listeners().resources().keySet()).contains("reviews",
        "reviews:9080", "reviews.default.svc.cluster.local",
        "reviews.default.svc.cluster.local:9080", "productpage");
    assertThat(r.snapshot().listeners().resources().get("reviews").hasApiListener()).isTrue();
  }

  @Test
  void unknownService_outboundOnly() throws Exception {
    MeshSnapshots.Result r = MeshSnapshots.build(parse(TestMesh.base()), "sidecar/payments");
    assertThat(r.snapshot().listeners().resources()).containsOnlyKeys("virtualOutbound");
    assertThat(r.snapshot().clusters().resources()).doesNotContainKey(
        "inbound|9080||payments");
  }

  @Test
  void dependencies_limitOutbound() throws Exception {
    MeshConfig c = parse(Files.readString(Path.of("config/bookinfo.yaml")));
    MeshSnapshots.Result details = MeshSnapshots.build(c, "sidecar/details");
    assertThat(details.snapshot().routes().resources().get("outbound").getVirtualHostsCount())
        .isZero();
    MeshSnapshots.Result pp = MeshSnapshots.build(c, "sidecar/productpage");
    assertThat(pp.snapshot().clusters().resources().keySet()).containsExactlyInAnyOrder(
        "outbound|9080||details", "outbound|9080||reviews", "inbound|9080||productpage",
        "tracing|otel");
  }

  @Test
  void routeSampling_smallFraction_partsPerMillion() {
    assertThat(TracingProtos.fraction(0.0001).getNumerator()).isEqualTo(1);
    assertThat(TracingProtos.fraction(100).getNumerator()).isEqualTo(1_000_000);
    assertThat(TracingProtos.fraction(12.5).getNumerator()).isEqualTo(125_000);
  }
}
