package io.meshtrace.xds.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.server.ProxyRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicWriteTest {

  @TempDir
  Path dir;

  private static final class Crash extends IOException {
    private static final long serialVersionUID = 1L;

    Crash() {
      super("simulated crash");
    }
  }

  @Test
  void write_failsMidway_targetKeepsOldContentNoTempLeft() throws Exception {
    Path target = dir.resolve("mesh.yaml");
    Files.writeString(target, "old content\n");
    byte[] big = new byte[20_000];
    Arrays.fill(big, (byte) 'x');
    long[] seen = {0};
    assertThatThrownBy(() -> AtomicFileWriter.write(target, big, written -> {
      seen[0] = written;
      if (written >= 8192) {
        throw new Crash();
      }
    })).isInstanceOf(Crash.class);
    assertThat(seen[0]).isEqualTo(8192);
    assertThat(Files.readString(target)).isEqualTo("old content\n");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void write_completes_targetHasNewContentAndPermissions() throws Exception {
    Path target = dir.resolve("mesh.yaml");
    Files.writeString(target, "old\n");
    Files.setPosixFilePermissions(target,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    AtomicFileWriter.write(target, "new\n".getBytes(StandardCharsets.UTF_8),
        AtomicFileWriter.NONE);
    assertThat(Files.readString(target)).isEqualTo("new\n");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(target))).isEqualTo("rw-r-----");
  }

  @Test
  void write_symlinkedTarget_writesThroughKeepsLink() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real")).resolve("mesh.yaml");
    Files.writeString(real, "old\n");
    Path link = Files.createSymbolicLink(dir.resolve("mesh.yaml"), real);
    AtomicFileWriter.write(link, "new\n".getBytes(StandardCharsets.UTF_8),
        AtomicFileWriter.NONE);
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(real)).isEqualTo("new\n");
  }

  @Test
  void adminUpdate_crashDuringWrite_fileIntactSnapshotsUnchanged() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    String original = TestServer.withServer(TestMesh.base());
    Files.writeString(file, original);
    Files.writeString(dir.resolve("token"), "t\n");
    Metrics metrics = new Metrics();
    ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
    ConfigStore store = ConfigStore.open(file, plane, metrics, written -> {
      throw new Crash();
    });
    Map<String, String> versions = plane.versions("sidecar/productpage");

    assertThatThrownBy(() -> store.updateTracing(ConfigText.readJson(
        "{\"tracing\":[{\"randomSamplingPercentage\":77}]}"))).isInstanceOf(Crash.class);

    assertThat(Files.readString(file)).isEqualTo(original);
    assertThat(plane.versions("sidecar/productpage")).isEqualTo(versions);
    assertThat(store.document().get("tracing").get(0).get("randomSamplingPercentage").asInt())
        .isEqualTo(10);
    assertThat(store.reloadIfChanged().changed()).isFalse();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "mesh.yaml", "token");
    }
  }

  @Test
  void adminUpdate_ok_fileRereadsToSameConfigAndWatcherSeesNoChange() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, TestServer.withServer(TestMesh.base()));
    Files.writeString(dir.resolve("token"), "t\n");
    Metrics metrics = new Metrics();
    ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    WriteResult o = store.updateTracing(ConfigText.readJson(
        "{\"tracing\":[{\"randomSamplingPercentage\":77.25}]}"));
    assertThat(o.isApplied()).isTrue();
    assertThat(store.reloadIfChanged().changed()).isFalse();
    assertThat(ConfigParser.parse(Files.readString(file), dir).tracing().get(0)
        .randomSamplingPercentage()).isEqualTo(77.25);
    Map<String, String> v = plane.versions("sidecar/productpage");
    // A fresh process on the written file serves the same versions.
    Metrics m2 = new Metrics();
    ControlPlane p2 = new ControlPlane(new ProxyRegistry(m2), m2);
    ConfigStore.open(file, p2, m2);
    assertThat(p2.versions("sidecar/productpage")).isEqualTo(v);
  }
}
