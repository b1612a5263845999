package io.meshtrace.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchOptionsTest {

  @TempDir
  Path dir;

  @Test
  void parse_noFlags_fixedDefaultPorts() {
    LaunchOptions o = LaunchOptions.parse();
    assertThat(o.adsPort()).isEqualTo(18000);
    assertThat(o.xdsAdminPort()).isEqualTo(18001);
    assertThat(o.extProcPort()).isEqualTo(18080);
    assertThat(o.extProcAdminPort()).isEqualTo(18081);
    assertThat(o.dir()).isEqualTo(Path.of("meshtrace-run"));
    assertThat(o.config()).isNull();
  }

  @Test
  void parse_flagsBothForms_andZero() {
    LaunchOptions o = LaunchOptions.parse("--ads-port", "0", "--xds-admin-port=1",
        "--ext-proc-port", "2", "--ext-proc-admin-port=3", "--dir", "x", "--config=m.yaml");
    assertThat(o).isEqualTo(new LaunchOptions(0, 1, 2, 3, Path.of("x"), Path.of("m.yaml")));
  }

  @Test
  void parse_badValues_nameTheFlag() {
    assertThatThrownBy(() -> LaunchOptions.parse("--ads-port", "70000"))
        .hasMessage("--ads-port=70000: must be a port between 0 and 65535 (0: any free port)");
    assertThatThrownBy(() -> LaunchOptions.parse("--ext-proc-port", "x"))
        .hasMessageStartingWith("--ext-proc-port=x:");
    assertThatThrownBy(() -> LaunchOptions.parse("--port", "1"))
        .hasMessageContaining("Unknown options: '--port'");
    assertThatThrownBy(() -> LaunchOptions.parse("--dir"))
        .hasMessageContaining("Missing required parameter for option '--dir'");
  }

  @Test
  void run_badFlag_exit2_invalidConfig_exit3NamingTheKey() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThat(Launcher.run(new String[] {"--nope", "1"}, o, e)).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown options: '--nope'");

    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, MeshRun.bundled().replace("randomSamplingPercentage: 100",
        "randomSamplingPercentage: 140"));
    assertThat(Launcher.run(new String[] {"--config", bad.toString(), "--dir",
        dir.resolve("run").toString(), "--ads-port", "0", "--xds-admin-port", "0",
        "--ext-proc-port", "0", "--ext-proc-admin-port", "0"}, o, e)).isEqualTo(3);
    assertThat(err.toString()).contains("invalid mesh config, nothing started")
        .contains("tracing[0].randomSamplingPercentage=140: must be between 0 and 100");
  }

  @Test
  void bundledConfig_valid_headerRepairOnToLocalExtProc_equalsDocumentedFile() throws Exception {
    String text = MeshRun.bundled();
    assertThat(text).isEqualTo(Files.readString(Path.of("config/meshtrace.yaml")));
    MeshConfig c = ConfigParser.parse(text, null);
    assertThat(MeshSnapshots.errors(MeshSnapshots.buildAll(c, Set.of()))).isEmpty();
    assertThat(c.warnings()).isEmpty();
    MeshConfig.HeaderRepair r = c.gateway().headerRepair();
    assertThat(r.enabled()).isTrue();
    assertThat(r.extProcHost()).isEqualTo("127.0.0.1");
    assertThat(r.extProcPort()).isEqualTo(LaunchOptions.DEFAULT_EXT_PROC_PORT);
    assertThat(c.server().adsPort()).isEqualTo(LaunchOptions.DEFAULT_ADS_PORT);
    assertThat(c.server().adminPort()).isEqualTo(LaunchOptions.DEFAULT_XDS_ADMIN_PORT);
  }

  @Test
  void pointHeaderRepairAt_onlyWhenEnabled() throws Exception {
    var on = ConfigText.readYaml("gateway: {headerRepair: {enabled: true}}");
    MeshRun.pointHeaderRepairAt(on, "127.0.0.1", 4242);
    assertThat(on.at("/gateway/headerRepair/extProc/port").asInt()).isEqualTo(4242);
    assertThat(on.at("/gateway/headerRepair/extProc/host").asText()).isEqualTo("127.0.0.1");
    var off = ConfigText.readYaml("gateway: {headerRepair: {enabled: false}}");
    MeshRun.pointHeaderRepairAt(off, "127.0.0.1", 4242);
    assertThat(off.at("/gateway/headerRepair/extProc").isMissingNode()).isTrue();
  }
}
