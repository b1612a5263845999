package io.meshtrace.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What grpc-js-xds 1.14 requires of the resources a proxyless node gets (its validators for
 * listeners, route configurations, clusters and endpoints), checked on the built snapshots;
 * {@code GrpcJsXdsEndToEndTest} has the real client accept them.
 */
class ProxylessGrpcSnapshotTest {

  private static final String DNS_AND_EDS = TestMesh.base().replace("address: 10.0.0.10",
      "address: productpage.bookinfo.svc");

  private static MeshConfig parse(String yaml) throws ConfigException {
    return ConfigParser.parse(yaml, null);
  }

  /** Every load assignment of a result: the EDS ones and those inside clusters. */
  private static List<ClusterLoadAssignment> assignments(MeshSnapshots.Result r) {
    List<ClusterLoadAssignment> out = new ArrayList<>(r.snapshot().endpoints().resources()
        .values());
    for (Cluster c : r.snapshot().clusters().resources().values()) {
      if (c.hasLoadAssignment()) {
        out.add(c.getLoadAssignment());
      }
    }
    return out;
  }

  @Test
  void everyGroup_everyLocalityLbEndpoints_hasLocality() throws Exception {
    MeshConfig c = parse(DNS_AND_EDS + GatewaySnapshotTest.REPAIR);
    var results = MeshSnapshots.buildAll(c, Set.of());
    assertThat(MeshSnapshots.errors(results)).isEmpty();
    int seen = 0;
    for (MeshSnapshots.Result r : results.values()) {
      for (ClusterLoadAssignment cla : assignments(r)) {
        for (LocalityLbEndpoints l : cla.getEndpointsList()) {
          assertThat(l.hasLocality()).as("%s %s", r.group(), cla.getClusterName()).isTrue();
          assertThat(l.getLocality()).isEqualTo(EnvoyProtos.DEFAULT_LOCALITY);
          seen++;
        }
      }
    }
    assertThat(seen).isGreaterThan(10);
  }

  @Test
  void grpcRole_resourcesAsGrpcJsValidatesThem() throws Exception {
    MeshSnapshots.Result r = MeshSnapshots.build(parse(DNS_AND_EDS + GatewaySnapshotTest.REPAIR),
        "grpc/reviews");
    assertThat(r.errors()).isEmpty();
    for (Listener l : r.snapshot().listeners().resources().values()) {
      // An api_listener only: no listener filters, no filter chains, no original_dst.
      assertThat(l.hasApiListener()).isTrue();
      assertThat(l.getListenerFiltersCount()).isZero();
      assertThat(l.getFilterChainsCount()).isZero();
      HttpConnectionManager h = GatewaySnapshotTest.unpack(l.getApiListener().getApiListener(),
          HttpConnectionManager.class);
      // Unique filter names, the router last and only last, unknown filters optional.
      int n = h.getHttpFiltersCount();
      assertThat(h.getHttpFilters(n - 1).getName()).isEqualTo(EnvoyProtos.ROUTER_FILTER);
      for (int i = 0; i < n - 1; i++) {
        assertThat(h.getHttpFilters(i).getName()).isNotEqualTo(EnvoyProtos.ROUTER_FILTER);
        assertThat(h.getHttpFilters(i).getIsOptional()).isTrue();
      }
      assertThat(h.hasRouteConfig()).isTrue();
      h.getRouteConfig().getVirtualHostsList().forEach(v -> v.getRoutesList().forEach(rt -> {
        assertThat(rt.getMatch().hasPrefix()).isTrue();
        assertThat(rt.getRoute().getCluster()).isNotEmpty();
      }));
    }
    Cluster eds = r.snapshot().clusters().resources().get("outbound|9080||reviews");
    assertThat(eds.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(eds.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(eds.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
    ClusterLoadAssignment cla = r.snapshot().endpoints().resources()
        .get("outbound|9080||reviews");
    // A weight on the locality (grpc-js drops localities without one), an IP and a port value.
    assertThat(cla.getEndpoints(0).getLoadBalancingWeight().getValue()).isEqualTo(1);
    assertThat(cla.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
        .getSocketAddress().getAddress()).isEqualTo("10.0.0.30");
    // LOGICAL_DNS (grpc-js has no STRICT_DNS): one locality with one endpoint.
    Cluster dns = r.snapshot().clusters().resources().get("outbound|9080||productpage");
    assertThat(dns.getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
    assertThat(dns.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(dns.getLoadAssignment().getEndpointsCount()).isEqualTo(1);
    assertThat(dns.getLoadAssignment().getEndpoints(0).getLbEndpointsCount()).isEqualTo(1);
    assertThat(dns.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint()
        .getAddress().getSocketAddress().getPortValue()).isEqualTo(9080);
  }

  @Test
  void locality_fromServiceConfig_isOnEveryAssignmentOfThatServiceOnly() throws Exception {
    MeshConfig c = parse(DNS_AND_EDS.replace("  - name: reviews\n",
        "  - name: reviews\n    locality: {region: us-east1, zone: us-east1-b, subZone: rack7}\n")
        .replace("  - name: productpage\n",
            "  - name: productpage\n    locality: {region: eu-west4}\n"));
    var results = MeshSnapshots.buildAll(c, Set.of());
    assertThat(MeshSnapshots.errors(results)).isEmpty();
    int reviews = 0;
    int productpage = 0;
    for (MeshSnapshots.Result r : results.values()) {
      for (ClusterLoadAssignment cla : assignments(r)) {
        for (LocalityLbEndpoints l : cla.getEndpointsList()) {
          // Outbound clusters reach the service's endpoints; an inbound one is the local app.
          if (cla.getClusterName().equals("outbound|9080||reviews")) {
            assertThat(l.getLocality().getRegion()).isEqualTo("us-east1");
            assertThat(l.getLocality().getZone()).isEqualTo("us-east1-b");
            assertThat(l.getLocality().getSubZone()).isEqualTo("rack7");
            reviews++;
          } else if (cla.getClusterName().equals("outbound|9080||productpage")) {
            assertThat(l.getLocality().getRegion()).isEqualTo("eu-west4");
            assertThat(l.getLocality().getZone()).isEmpty();
            productpage++;
          } else {
            assertThat(l.getLocality()).isEqualTo(EnvoyProtos.DEFAULT_LOCALITY);
          }
        }
      }
    }
    assertThat(reviews).isGreaterThan(0);
    assertThat(productpage).isGreaterThan(0);
  }

  @Test
  void endpoints_sameAddressAndPortTwice_isAnErrorNamingBoth() throws Exception {
    List<String> problems = TestMesh.problems(TestMesh.base().replace(
        "    endpoints:\n      - address: 10.0.0.30\n",
        "    endpoints:\n      - address: 10.0.0.30\n      - address: 10.0.0.30\n"));
    assertThat(problems).containsExactly("services[1].endpoints[1].address=10.0.0.30: port grpc"
        + " reaches 10.0.0.30:9080 as services[1].endpoints[0] does; list an address once and"
        + " give it a weight instead");
  }

  @Test
  void endpoints_sameAddressOtherPort_isValid() throws Exception {
    assertThat(TestMesh.problems(TestMesh.base().replace(
        "    endpoints:\n      - address: 10.0.0.30\n",
        "    endpoints:\n      - address: 10.0.0.30\n"
            + "      - {address: 10.0.0.30, ports: {grpc: 9081}}\n"))).isEmpty();
  }

  @Test
  void consistency_localityRemoved_isAnError() throws Exception {
    SnapshotBuilder b = new SnapshotBuilder(parse(TestMesh.base()), "grpc/productpage",
        MeshSnapshots.rules()).build();
    assertThat(b.errors()).isEmpty();
    ClusterLoadAssignment cla = b.endpoints().get("outbound|9080||reviews");
    b.endpoints().put(cla.getClusterName(), cla.toBuilder()
        .setEndpoints(0, cla.getEndpoints(0).toBuilder().clearLocality()).build());
    assertThat(b.recheckReferences().errors()).containsExactly("snapshot grpc/productpage:"
        + " endpoints outbound|9080||reviews: endpoints[0] has no locality");
  }
}
