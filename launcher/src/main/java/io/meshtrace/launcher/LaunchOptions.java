package io.meshtrace.launcher;

import io.meshtrace.admin.AdminTls;
import java.nio.file.Path;

/**
 * What the launcher was asked to run ({@link Launcher} reads it from the command line).
 *
 * @param bind listen address of all four listeners
 * @param dir where the mesh config copy and the Envoy bootstraps are written
 * @param config an xds-server mesh config to serve instead of the bundled one, or null
 * @param adminTls HTTPS for both admin listeners, or null
 * @param reset write the mesh config copy in {@code dir} again even when it exists (by default
 *     an existing copy is served as it is, with the changes made through the admin API)
 */
record LaunchOptions(
    String bind, int adsPort, int xdsAdminPort, int extProcPort, int extProcAdminPort, Path dir,
    Path config, AdminTls adminTls, boolean reset) {

  static final String DEFAULT_BIND = "127.0.0.1";
  static final int DEFAULT_ADS_PORT = 18000;
  static final int DEFAULT_XDS_ADMIN_PORT = 18001;
  static final int DEFAULT_EXT_PROC_PORT = 18080;
  static final int DEFAULT_EXT_PROC_ADMIN_PORT = 18081;
  static final String DEFAULT_DIR = "meshtrace-run";

  /** On 127.0.0.1, plain HTTP admin listeners. */
  LaunchOptions(int adsPort, int xdsAdminPort, int extProcPort, int extProcAdminPort, Path dir,
      Path config) {
    this(DEFAULT_BIND, adsPort, xdsAdminPort, extProcPort, extProcAdminPort, dir, config, null,
        false);
  }

  /**
   * Parses flags as the launcher's command line does.
   *
   * @throws picocli.CommandLine.ParameterException naming the flag and the value
   */
  static LaunchOptions parse(String... args) {
    Launcher launcher = new Launcher(System.out, System.err);
    new picocli.CommandLine(launcher).parseArgs(args);
    return launcher.options();
  }
}
