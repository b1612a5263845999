package io.meshtrace.xds.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.TestServer;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.live.WriteResult.Status;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.server.ProxyRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Admin writes against a file an operator edits, and against the size limit. */
class ConfigStoreWriteTest {

  @TempDir
  Path dir;

  private Path file;
  private Metrics metrics;
  private ControlPlane plane;

  private static final String GOOD = TestServer.withServer(TestMesh.base());
  private static final String SAMPLING_50 = "{\"tracing\":[{\"randomSamplingPercentage\":50}]}";

  @BeforeEach
  void files() throws Exception {
    file = dir.resolve("mesh.yaml");
    Files.writeString(file, GOOD);
    Files.writeString(dir.resolve("token"), "t\n");
    metrics = new Metrics();
    plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void updateTracing_fileEditedNotYetRead_conflictEditKeptThenBothApply() throws Exception {
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    MeshConfig served = plane.config();
    String edited = GOOD + "gateway: {port: 8081}\n";
    Files.writeString(file, edited);

    WriteResult r = store.updateTracing(utf8(SAMPLING_50));

    assertThat(r.status()).isEqualTo(Status.CONFLICT);
    assertThat(r.errors()).singleElement().satisfies(e -> assertThat(e)
        .startsWith("(file): mesh.yaml was changed on disk since the server last applied it"
            + " (now sha256 ")
        .contains("the edit changes gateway. The edit is kept and this change is not applied"));
    assertThat(Files.readString(file)).isEqualTo(edited);
    assertThat(plane.config()).isSameAs(served);

    // Once the server has read the edit, the same change applies on top of it.
    assertThat(store.reloadIfChanged().applied()).isTrue();
    assertThat(store.updateTracing(utf8(SAMPLING_50)).isApplied()).isTrue();
    String both = Files.readString(file);
    assertThat(both).contains("port: 8081").contains("randomSamplingPercentage: 50");
    assertThat(plane.config().gateway().port()).isEqualTo(8081);
  }

  @Test
  void updateTracing_fileEditedDuringTheWrite_conflictEditKeptNoTempFile() throws Exception {
    String edited = GOOD.replace("randomSamplingPercentage: 10", "randomSamplingPercentage: 15");
    boolean[] once = {false};
    ConfigStore store = ConfigStore.open(file, plane, metrics, written -> {
      if (!once[0]) {
        once[0] = true;
        Files.writeString(file, edited); // the operator saves while the new file is written
      }
    });
    Map<String, String> versions = plane.versions("sidecar/productpage");

    WriteResult r = store.updateTracing(utf8(SAMPLING_50));

    assertThat(r.status()).isEqualTo(Status.CONFLICT);
    assertThat(r.errors().get(0)).contains("the edit changes tracing");
    assertThat(Files.readString(file)).isEqualTo(edited);
    assertThat(plane.versions("sidecar/productpage")).isEqualTo(versions);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("mesh.yaml", "token");
    }
    assertThat(store.reloadIfChanged().applied()).isTrue();
    assertThat(plane.config().tracing().get(0).randomSamplingPercentage()).isEqualTo(15.0);
  }

  @Test
  void updateTracing_brokenEditOnDisk_conflictNamesItsProblem() throws Exception {
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    Files.writeString(file, GOOD.replace("services:", "services: ["));
    assertThat(store.reloadIfChanged().applied()).isFalse();

    WriteResult r = store.updateTracing(utf8(SAMPLING_50));

    assertThat(r.status()).isEqualTo(Status.CONFLICT);
    assertThat(r.errors().get(0)).contains("the edit is not a valid config: yaml: line");
    assertThat(Files.readString(file)).contains("services: [");
  }

  @Test
  void updateTracing_bodyOverLimit_tooLarge() throws Exception {
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    byte[] body = new byte[ConfigText.MAX_BYTES + 1];
    java.util.Arrays.fill(body, (byte) ' ');
    WriteResult r = store.updateTracing(body);
    assertThat(r.status()).isEqualTo(Status.TOO_LARGE);
    assertThat(r.errors()).containsExactly("(body): the request is 4194305 bytes; the limit is"
        + " 4194304 bytes (4 MiB)");
    assertThat(Files.readString(file)).isEqualTo(GOOD);
  }

  @Test
  void updateTracing_bodyWithTrailingDataOrTwoObjects_invalidNothingWritten() throws Exception {
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    for (String body : new String[] {SAMPLING_50 + " " + SAMPLING_50, SAMPLING_50 + "]",
        "{\"tracing\": [], \"tracing\": [{}]}"}) {
      WriteResult r = store.updateTracing(utf8(body));
      assertThat(r.status()).as(body).isEqualTo(Status.INVALID);
      assertThat(r.errors().get(0)).as(body).startsWith("json: line 1, column ");
    }
    assertThat(Files.readString(file)).isEqualTo(GOOD);
  }

  /**
   * A file of {@code routeBytes} of route tags (not a tracing key, so a PUT keeps it) to which a
   * PUT adds {@code putBytes} of tracing tags.
   */
  private WriteResult putBeside(int routeBytes, int putBytes) throws Exception {
    ObjectNode tree = (ObjectNode) ConfigText.readYaml(GOOD);
    ((ObjectNode) tree.get("services").get(0)).putArray("routes").addObject()
        .put("name", "api").put("prefix", "/api").putObject("tracing").putObject("customTags")
        .putObject("blob").putObject("literal").put("value", words(routeBytes));
    Files.writeString(file, ConfigText.writeYaml(tree));
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    return store.updateTracing(utf8("{\"tracing\":[{\"customTags\":{\"big\":{\"literal\":"
        + "{\"value\":\"" + words(putBytes) + "\"}}}}]}"));
  }

  private static String words(int bytes) {
    return "lorem ipsum dolor ".repeat(bytes / 18);
  }

  /**
   * Within the limit the server reads back what it wrote; the previous reader stopped at
   * 3 MiB of text, so this file, written by the previous admin API, did not load at restart.
   */
  @Test
  void updateTracing_largeWithinLimit_freshProcessReadsItBack() throws Exception {
    WriteResult r = putBeside(2_400_000, 900_000);
    assertThat(r.status()).as(r.errors().toString()).isEqualTo(Status.APPLIED);
    assertThat(Files.size(file)).isBetween(3_200_000L, (long) ConfigText.MAX_BYTES);
    Map<String, String> v = plane.versions("sidecar/productpage");
    Metrics m2 = new Metrics();
    ControlPlane p2 = new ControlPlane(new ProxyRegistry(m2), m2);
    ConfigStore.open(file, p2, m2);
    assertThat(p2.versions("sidecar/productpage")).isEqualTo(v);
  }

  /** The previous admin API wrote this 4.4 MB file (its body limit was 1 MiB). */
  @Test
  void updateTracing_fileWouldExceedLimit_tooLargeNothingWritten() throws Exception {
    WriteResult r = putBeside(3_400_000, 900_000);
    assertThat(r.status()).isEqualTo(Status.TOO_LARGE);
    assertThat(r.errors()).singleElement().satisfies(e -> assertThat(e)
        .startsWith("(config): the file would be YAML whose size is ")
        .endsWith(" bytes; the limit is 4194304 bytes (4 MiB)"));
    assertThat(Files.readString(file)).doesNotContain("big");
  }

  /** The previous writer wrote the string "1.10" as 1.10, which reads back as 1.1. */
  @Test
  void updateTracing_numberLikeStrings_fileReadsBackTheSame() throws Exception {
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    WriteResult r = store.updateTracing(utf8("{\"meshVersion\": \"1.10\", \"tracing\": [{"
        + "\"customTags\": {\"a\": {\"literal\": {\"value\": \"0x1F\"}},"
        + " \"b\": {\"literal\": {\"value\": \"yes\"}}}}]}"));
    assertThat(r.status()).as(r.errors().toString()).isEqualTo(Status.APPLIED);
    Metrics m2 = new Metrics();
    ControlPlane p2 = new ControlPlane(new ProxyRegistry(m2), m2);
    ConfigStore.open(file, p2, m2);
    assertThat(p2.config().meshVersion()).isEqualTo("1.10");
    assertThat(p2.config()).isEqualTo(plane.config());
  }

  /** A value the YAML writer cannot keep (U+0085, NEL, becomes a line break) is refused. */
  @Test
  void updateTracing_nelInValue_writtenQuoted_readsBackTheSame() throws Exception {
    // NEL is a line break to YAML: written plain it read back as a space (the write was
    // refused); YamlQuoting double-quotes and escapes it.
    ConfigStore store = ConfigStore.open(file, plane, metrics);
    WriteResult r = store.updateTracing(utf8("{\"tracing\": [{\"customTags\": {\"a\":"
        + " {\"literal\": {\"value\": \"x\u0085y\"}}}}]}"));
    assertThat(r.status()).as(r.errors().toString()).isEqualTo(Status.APPLIED);
    assertThat(io.meshtrace.xds.config.ConfigText.readYaml(Files.readString(file))
        .path("tracing").path(0).path("customTags").path("a").path("literal").path("value")
        .asText()).isEqualTo("x\u0085y");
  }
}
