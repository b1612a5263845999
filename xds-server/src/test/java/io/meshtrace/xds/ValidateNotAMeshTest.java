package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code validate} on files that hold no mesh: each fails, saying why. */
class ValidateNotAMeshTest {

  @TempDir
  Path dir;

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"", "# nothing yet\n", "---\n", "meshVersion: 1.22.0\n"})
  void validate_noMesh_failsNamingTheProblem(String text) throws Exception {
    Path f = dir.resolve("mesh.yaml");
    Files.writeString(f, text);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(new String[] {"validate", f.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isNotZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(": ok");
    assertThat(err.toString(StandardCharsets.UTF_8))
        .containsAnyOf("the file holds no mesh", "services=(missing): required");
  }
}
