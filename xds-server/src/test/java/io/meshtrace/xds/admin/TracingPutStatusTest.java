package io.meshtrace.xds.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.config.ConfigText;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code PUT /config/tracing} answers when it cannot apply a change. */
class TracingPutStatusTest {

  @TempDir
  Path dir;

  private static final String BODY = "{\"tracing\":[{\"randomSamplingPercentage\":50}]}";

  @Test
  void put_fileEditedOnDisk_409NamesTheEditAndKeepsIt() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      // Broken, so the file watcher cannot take it either: the race is decided every time.
      String edited = Files.readString(s.file).replace("services:", "services: [");
      Files.writeString(s.file, edited);

      var r = s.put("/config/tracing", BODY, TestServer.TOKEN);

      assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
      assertThat(r.body()).contains("mesh.yaml was changed on disk since the server last"
          + " applied it").contains("the edit is not a valid config");
      assertThat(Files.readString(s.file)).isEqualTo(edited);
      assertThat(s.get("/metrics").body())
          .contains("meshtrace_xds_admin_writes_total{result=\"conflict\"} 1");
    }
  }

  @Test
  void put_bodyOverTheFileLimit_413NothingWritten() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String before = Files.readString(s.file);
      var r = s.put("/config/tracing", " ".repeat(ConfigText.MAX_BYTES + 1), TestServer.TOKEN);
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(r.body()).contains("larger than 4194304 bytes");
      assertThat(Files.readString(s.file)).isEqualTo(before);
    }
  }

  @Test
  void put_twoJsonDocuments_400NothingWritten() throws Exception {
    try (TestServer s = TestServer.start(dir, TestMesh.base())) {
      String before = Files.readString(s.file);
      var r = s.put("/config/tracing", BODY + "\n" + BODY, TestServer.TOKEN);
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).contains("json: line 2, column 1: data after the JSON value");
      assertThat(Files.readString(s.file)).isEqualTo(before);
    }
  }
}
