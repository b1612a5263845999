package io.meshtrace.xds.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.server.ProxyRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileWatcherTest {

  @TempDir
  Path dir;

  /**
   * The layout kubelet gives a ConfigMap volume: {@code mesh.yaml -> ..data/mesh.yaml},
   * {@code ..data -> ..<timestamp>}; an update writes a new timestamp directory and renames a
   * new {@code ..data} link over the old one.
   */
  @Test
  @SuppressWarnings("try") // the watcher works in the background of the try block
  void configMapSymlinkSwap_newContentApplied() throws Exception {
    Path v1 = Files.createDirectory(dir.resolve("..2026_11_21_06_00_00.1"));
    Files.writeString(v1.resolve("mesh.yaml"), TestServer.withServer(TestMesh.base()));
    Files.writeString(v1.resolve("token"), "t\n");
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path file = Files.createSymbolicLink(dir.resolve("mesh.yaml"), Path.of("..data/mesh.yaml"));
    Files.createSymbolicLink(dir.resolve("token"), Path.of("..data/token"));

    Metrics metrics = new Metrics();
    ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    String before = plane.versions("sidecar/productpage").get("listeners");
    try (ConfigFileWatcher watcher = ConfigFileWatcher.start(store, Duration.ofMillis(100))) {
      Path v2 = Files.createDirectory(dir.resolve("..2026_11_21_06_05_00.2"));
      Files.writeString(v2.resolve("mesh.yaml"), TestServer.withServer(TestMesh.base())
          .replace("randomSamplingPercentage: 10", "randomSamplingPercentage: 15"));
      Files.writeString(v2.resolve("token"), "t\n");
      Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
      Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

      // The reload is counted just after the swap: wait for the count, which implies the swap.
      long deadline = System.currentTimeMillis() + 5000;
      while (!metrics.render().contains("meshtrace_xds_config_reloads_total{result=\"applied\"} 1")
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertThat(plane.versions("sidecar/productpage").get("listeners")).isNotEqualTo(before);
      assertThat(plane.config().tracing().get(0).randomSamplingPercentage()).isEqualTo(15.0);
      assertThat(metrics.render())
          .contains("meshtrace_xds_config_reloads_total{result=\"applied\"} 1");
    }
  }

  @Test
  void sameContentRewritten_notReapplied() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    String text = TestServer.withServer(TestMesh.base());
    Files.writeString(file, text);
    Files.writeString(dir.resolve("token"), "t\n");
    Metrics metrics = new Metrics();
    ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    Files.writeString(file, text);
    assertThat(store.reloadIfChanged().changed()).isFalse();
    assertThat(metrics.value("meshtrace_xds_config_applied_total", "")).isEqualTo(1);
  }
}
