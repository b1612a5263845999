package io.meshtrace.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as users run it ({@code java -jar launcher/target/meshtrace.jar}): the same
 * checks as {@link LauncherProcessTest}, which also prove the jar's merged service files
 * (gRPC transports and name resolvers) and resources (both bundled configs) are in place.
 */
class LauncherJarIT {

  @TempDir
  Path dir;

  @Test
  void jar_portsZero_printsLine_adminsHealthy_bootstrapsDecode_sigtermStops() throws Exception {
    Path jar = Path.of(System.getProperty("launcher.jar", "target/meshtrace.jar"));
    assertThat(jar).as("run after package").exists();
    assertThat(Files.size(jar)).isGreaterThan(1_000_000L);
    LauncherProcessTest.runAndStop(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-jar", jar.toString()), dir);
  }
}
