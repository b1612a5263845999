package io.meshtrace.xds.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config file that cannot be written (a ConfigMap volume is mounted read-only): PUT answers
 * 409 naming the source and what to do instead, never 500; nothing changes.
 */
class ReadOnlyConfigPutTest {

  @TempDir
  Path dir;

  @Test
  void put_configDirReadOnly_409NamingFileAndAlternative_nothingChanged() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String original = Files.readString(s.file);
      Map<String, Map<String, String>> versions = s.app.plane().versionsByGroup();
      readOnly(dir, true);
      try {
        HttpResponse<String> put = s.put("/config/tracing",
            "{\"tracing\":[{\"randomSamplingPercentage\":5}]}", TestServer.TOKEN);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(409);
        assertThat(put.body()).contains("the config source is the file " + s.file)
            .contains("cannot be written").contains("--source kubernetes")
            .contains("edit the ConfigMap");
        assertThat(Files.readString(s.file)).isEqualTo(original);
        assertThat(s.app.plane().versionsByGroup()).isEqualTo(versions);
      } finally {
        readOnly(dir, false);
      }
    }
  }

  /**
   * Makes {@code dir} refuse new files: its mode for an ordinary user, the immutable attribute
   * for root (which the mode does not stop).
   */
  static void readOnly(Path dir, boolean on) throws IOException, InterruptedException {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (on) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
      if (root) {
        chattr(dir, "+i");
      }
    } else {
      if (root) {
        chattr(dir, "-i");
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  private static void chattr(Path dir, String flag) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true)
        .start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).as("chattr %s %s: %s", flag, dir, out).isZero();
  }
}
