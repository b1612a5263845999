package io.meshtrace.xds.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.SimpleCache;
import io.envoyproxy.controlplane.cache.Snapshot;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The snapshot type goes through java-control-plane's cache using public API only: a
 * {@code SimpleCache} subclass over {@link GroupKey} and {@link VersionedSnapshot}, SotW and
 * delta watches, and content versions that the cache compares.
 */
class VersionedSnapshotTest {

  private static final Node NODE = Node.newBuilder().setId("pp-1").setCluster("productpage")
      .build();
  private static final GroupKey GROUP = new GroupKey(NodeRole.SIDECAR, "productpage");

  private static final class Cache extends SimpleCache<GroupKey, VersionedSnapshot> {
    Cache() {
      super(new NodeGroups());
    }
  }

  private static VersionedSnapshot snapshot(String yaml) throws Exception {
    MeshConfig c = ConfigParser.parse(yaml, null);
    MeshSnapshots.Result r = MeshSnapshots.build(c, GROUP);
    assertThat(r.errors()).isEmpty();
    return r.snapshot();
  }

  @Test
  void type_extendsThePublicAbstractSnapshot_notTheGeneratedOne() {
    assertThat(VersionedSnapshot.class.getSuperclass()).isEqualTo(Snapshot.class);
    assertThat(io.envoyproxy.controlplane.cache.v3.Snapshot.class
        .isAssignableFrom(VersionedSnapshot.class)).isFalse();
  }

  @Test
  void sotwWatch_answersWithContentVersionsAndWaitsAtThatVersion() throws Exception {
    VersionedSnapshot s = snapshot(TestMesh.base());
    Cache cache = new Cache();
    cache.setSnapshot(GROUP, s);
    assertThat(cache.groups()).isEmpty();

    List<Response> got = new ArrayList<>();
    cache.createWatch(true, XdsRequest.create(DiscoveryRequest.newBuilder().setNode(NODE)
        .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL).build()), Set.of(), got::add, false, false);
    assertThat(got).singleElement().satisfies(r -> {
      assertThat(r.version()).isEqualTo(s.clusters().version()).hasSize(16);
      assertThat(new ArrayList<Object>(r.resources())).containsExactlyInAnyOrderElementsOf(
          s.clusters().resources().values());
    });

    List<String> eds = new ArrayList<>(s.endpoints().resources().keySet());
    cache.createWatch(true, XdsRequest.create(DiscoveryRequest.newBuilder().setNode(NODE)
        .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL).addAllResourceNames(eds).build()),
        Set.of(), got::add, false, false);
    assertThat(got).hasSize(2);
    assertThat(got.get(1).resources()).hasSize(eds.size());

    // At the version it holds, the client gets nothing until the snapshot changes.
    List<Response> later = new ArrayList<>();
    cache.createWatch(true, XdsRequest.create(DiscoveryRequest.newBuilder().setNode(NODE)
        .setTypeUrl(Resources.V3.LISTENER_TYPE_URL).setVersionInfo(s.listeners().version())
        .build()), Set.of(), later::add, false, false);
    assertThat(later).isEmpty();
    VersionedSnapshot next = snapshot(TestMesh.base().replace("randomSamplingPercentage: 10",
        "randomSamplingPercentage: 11"));
    cache.setSnapshot(GROUP, next);
    assertThat(later).singleElement().extracting(Response::version)
        .isEqualTo(next.listeners().version()).isNotEqualTo(s.listeners().version());
    assertThat(cache.groups()).containsExactly(GROUP);
  }

  @Test
  void deltaWatch_sendsOnlyResourcesWhoseContentVersionChanged() throws Exception {
    VersionedSnapshot s = snapshot(TestMesh.base());
    Cache cache = new Cache();
    cache.setSnapshot(GROUP, s);
    Map<String, String> held = new HashMap<>();
    s.clusters().versionedResources().forEach((name, r) -> held.put(name, r.version()));

    List<DeltaResponse> got = new ArrayList<>();
    cache.createDeltaWatch(DeltaXdsRequest.create(DeltaDiscoveryRequest.newBuilder()
        .setNode(NODE).setTypeUrl(Resources.V3.CLUSTER_TYPE_URL).build()),
        s.clusters().version(), held, Set.of(), true, got::add, false);
    assertThat(got).isEmpty();

    // reviews loses its HTTP/2 options: exactly that cluster is sent, at its new version.
    VersionedSnapshot next = snapshot(TestMesh.base().replace("protocol: GRPC",
        "protocol: HTTP"));
    cache.setSnapshot(GROUP, next);
    assertThat(got).singleElement().satisfies(r -> {
      assertThat(r.resources()).containsOnlyKeys("outbound|9080||reviews");
      VersionedResource<?> v = r.resources().get("outbound|9080||reviews");
      assertThat(v.version()).isEqualTo(next.clusters().versionedResources()
          .get("outbound|9080||reviews").version())
          .isNotEqualTo(held.get("outbound|9080||reviews"));
      assertThat(r.version()).isEqualTo(next.clusters().version());
    });
  }

  @Test
  void versions_sameContentSameVersions_inEveryBuild() throws Exception {
    VersionedSnapshot a = snapshot(TestMesh.base());
    VersionedSnapshot b = snapshot(TestMesh.base());
    assertThat(a).isNotSameAs(b);
    for (ResourceType t : List.of(ResourceType.CLUSTER, ResourceType.ENDPOINT,
        ResourceType.LISTENER, ResourceType.ROUTE)) {
      assertThat(a.version(t, List.of())).as(t.name()).isEqualTo(b.version(t, List.of()));
      Map<String, String> va = new HashMap<>();
      Map<String, String> vb = new HashMap<>();
      a.versionedResources(t).forEach((n, r) -> va.put(n, r.version()));
      b.versionedResources(t).forEach((n, r) -> vb.put(n, r.version()));
      assertThat(va).as(t.name()).isNotEmpty().isEqualTo(vb);
      assertThat(a.resources(t)).isEqualTo(b.resources(t));
    }
  }

  @Test
  void typesNotServed_areEmpty() throws Exception {
    VersionedSnapshot s = snapshot(TestMesh.base());
    assertThat(s.version(ResourceType.SECRET, List.of())).isEmpty();
    assertThat(s.resources(ResourceType.SECRET)).isEmpty();
    assertThat(s.versionedResources(ResourceType.SECRET)).isEmpty();
  }
}
