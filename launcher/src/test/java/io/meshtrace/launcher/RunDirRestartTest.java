package io.meshtrace.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh config copy in {@code --dir} outlives the launcher: a change made through the admin
 * API is served again after a restart on the same directory, and {@code --reset} drops it.
 */
class RunDirRestartTest {
  private static final String TOKEN = "launcher-test-token";
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path dir;

  @Test
  void restartSameDir_servesSamplingThePutSet_extProcFollows_resetDropsIt() throws Exception {
    Path config = TestMeshFile.write(dir, TOKEN);
    Path run = dir.resolve("run");
    LaunchOptions options = new LaunchOptions(0, 0, 0, 0, run, config);

    try (MeshRun first = MeshRun.start(options)) {
      assertThat(first.newTraceSamplingPercent()).isEqualTo(100.0);
      HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + first.xds().adminPort() + "/config/tracing"))
          .PUT(HttpRequest.BodyPublishers.ofString(
              "{\"tracing\":[{\"randomSamplingPercentage\":12.5}]}"))
          .header("Authorization", "Bearer " + TOKEN).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      assertThat(sampling(first)).isEqualTo(12.5);
    }

    try (MeshRun second = MeshRun.start(options)) {
      assertThat(sampling(second)).isEqualTo(12.5);
      assertThat(second.newTraceSamplingPercent()).isEqualTo(12.5);
      // Header repair still points at this run's ext-proc.
      assertThat(second.xds().plane().config().gateway().headerRepair().extProcPort())
          .isEqualTo(second.extProcPort());
    }

    LaunchOptions reset = new LaunchOptions(options.bind(), 0, 0, 0, 0, run, config, null, true);
    try (MeshRun third = MeshRun.start(reset)) {
      assertThat(sampling(third)).isEqualTo(100.0);
      assertThat(third.newTraceSamplingPercent()).isEqualTo(100.0);
    }
  }

  private static double sampling(MeshRun run) {
    return run.xds().plane().config().tracing().get(0).randomSamplingPercentage();
  }
}
