package io.meshtrace.xds.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.server.ProxyRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Files an operator might save by mistake, applied live: none replaces what is served. */
class ConfigStoreReloadTest {

  @TempDir
  Path dir;

  private static final String GOOD = TestServer.withServer(TestMesh.base());

  static Stream<Arguments> notAMesh() {
    return Stream.of(
        Arguments.of("empty", "", "yaml: the file holds no mesh"),
        Arguments.of("only comments", "# mesh.yaml\n# (emptied by a script)\n",
            "yaml: the file holds no mesh"),
        Arguments.of("only a document marker", "---\n", "yaml: the file holds no mesh"),
        Arguments.of("no services key", TestServer.withServer(TestMesh.PROVIDERS
            + TestMesh.TRACING), "services=(missing): required"),
        Arguments.of("duplicate key", GOOD.replace("tracing:\n",
            "tracing: []\ntracing:\n"), "yaml: line 9, column 1: tracing: duplicate key"
            + " (first on line 8)"),
        Arguments.of("duplicate key in a service", GOOD.replace("  - name: reviews\n",
            "  - name: reviews\n    name: ratings\n"), "yaml: line 18, column 5: services[1].name:"
            + " duplicate key (first on line 17)"),
        Arguments.of("two documents", GOOD + "---\nservices: []\n",
            "a second document starts here"),
        Arguments.of("alias", GOOD.replace("randomSamplingPercentage: 10",
            "randomSamplingPercentage: 10\n    customTags: {a: {literal: {value: *mesh}}}"),
            "yaml: line 10, column 39: tracing[0].customTags.a.literal.value: alias *mesh:"
            + " anchors and aliases are not supported"),
        Arguments.of("anchor", GOOD.replace("  - name: reviews\n", "  - &reviews\n"
            + "    name: reviews\n"), "services[1]: anchor &reviews"),
        Arguments.of("over the size limit", GOOD + "#" + "x".repeat(60) + "\n"
            + ("#" + "x".repeat(1000) + "\n").repeat(4200), "mesh.yaml: the config is"));
  }

  /**
   * Each of these files was applied by the previous parser (an empty file pushed zero clusters;
   * a duplicate key kept its last value; a second document was dropped; an alias read as its
   * anchor's name): now each is rejected, counted, shown, and the last good config stays.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("notAMesh")
  void reload_badFile_rejectedNamingTheProblemLastGoodStays(String name, String text,
      String problem) throws Exception {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, GOOD);
    Files.writeString(dir.resolve("token"), "t\n");
    Metrics metrics = new Metrics();
    ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    MeshConfig before = plane.config();
    Map<String, String> versions = plane.versions("sidecar/productpage");

    Files.writeString(file, text);
    ConfigStore.Outcome o = store.reloadIfChanged();

    assertThat(o.changed()).as(name).isTrue();
    assertThat(o.applied()).as(name).isFalse();
    assertThat(o.errors()).as(name).anySatisfy(e -> assertThat(e).contains(problem));
    assertThat(store.lastErrors()).isEqualTo(o.errors());
    assertThat(plane.config()).isSameAs(before);
    assertThat(plane.versions("sidecar/productpage")).isEqualTo(versions);
    assertThat(metrics.value("meshtrace_xds_config_reloads_total", "result=\"rejected\""))
        .isEqualTo(1);
    // Seen once: the same bad content is not reported again.
    assertThat(store.reloadIfChanged().changed()).isFalse();
  }

  @Test
  void reload_servicesExplicitlyEmpty_applied() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, GOOD);
    Files.writeString(dir.resolve("token"), "t\n");
    Metrics metrics = new Metrics();
    ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
    ConfigStore store = ConfigStore.open(file, plane, metrics);

    Files.writeString(file, TestServer.withServer(TestMesh.PROVIDERS + TestMesh.TRACING
        + "services: []\n"));
    assertThat(store.reloadIfChanged().applied()).isTrue();
    assertThat(plane.config().services()).isEmpty();
  }

  /** The same through the running server: its file watcher, its metrics, its admin API. */
  @Test
  void watcher_fileEmptied_rejectedShownAndStillServed() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      Map<String, String> versions = s.app.plane().versions("sidecar/productpage");
      Files.writeString(s.file, "");
      long deadline = System.currentTimeMillis() + 10_000;
      while (!s.get("/metrics").body().contains(
          "meshtrace_xds_config_reloads_total{result=\"rejected\"} 1")
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      assertThat(s.get("/config/tracing").body()).contains("the file holds no mesh");
      assertThat(s.app.plane().versions("sidecar/productpage")).isEqualTo(versions);
      assertThat(s.app.plane().config().services()).hasSize(2);
    }
  }
}
