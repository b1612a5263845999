package io.meshtrace.launcher;

import java.nio.file.Path;

/**
 * The launcher's command line.
 *
 * @param config an xds-server mesh config to serve instead of the bundled one, or null
 * @param dir where the mesh config copy and the Envoy bootstraps are written
 */
record LaunchOptions(
    int adsPort, int xdsAdminPort, int extProcPort, int extProcAdminPort, Path dir,
    Path config) {

  static final int DEFAULT_ADS_PORT = 18000;
  static final int DEFAULT_XDS_ADMIN_PORT = 18001;
  static final int DEFAULT_EXT_PROC_PORT = 18080;
  static final int DEFAULT_EXT_PROC_ADMIN_PORT = 18081;
  static final String DEFAULT_DIR = "meshtrace-run";

  static final String USAGE = """
      usage: java -jar meshtrace.jar [--ads-port N] [--xds-admin-port N] [--ext-proc-port N]
                                     [--ext-proc-admin-port N] [--dir DIR] [--config FILE]
        --ads-port             xds-server ADS (gRPC), default 18000 (0: any free port)
        --xds-admin-port       xds-server admin HTTP, default 18001
        --ext-proc-port        ext-proc gRPC, default 18080
        --ext-proc-admin-port  ext-proc admin HTTP, default 18081
        --dir                  where the Envoy bootstraps and the served mesh config are
                               written, default ./meshtrace-run
        --config               an xds-server mesh config instead of the bundled one""";

  /** Parses flags; throws with a message naming the flag and the value. */
  static LaunchOptions parse(String... args) {
    int ads = DEFAULT_ADS_PORT;
    int xdsAdmin = DEFAULT_XDS_ADMIN_PORT;
    int extProc = DEFAULT_EXT_PROC_PORT;
    int extProcAdmin = DEFAULT_EXT_PROC_ADMIN_PORT;
    Path dir = Path.of(DEFAULT_DIR);
    Path config = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      String value;
      int eq = flag.indexOf('=');
      if (flag.startsWith("--") && eq > 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException(flag + ": missing value");
      }
      switch (flag) {
        case "--ads-port":
          ads = port(flag, value);
          break;
        case "--xds-admin-port":
          xdsAdmin = port(flag, value);
          break;
        case "--ext-proc-port":
          extProc = port(flag, value);
          break;
        case "--ext-proc-admin-port":
          extProcAdmin = port(flag, value);
          break;
        case "--dir":
          dir = Path.of(value);
          break;
        case "--config":
          config = Path.of(value);
          break;
        default:
          throw new IllegalArgumentException(flag + ": unknown option");
      }
    }
    return new LaunchOptions(ads, xdsAdmin, extProc, extProcAdmin, dir, config);
  }

  private static int port(String flag, String value) {
    int p;
    try {
      p = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 0 || p > 65535) {
      throw new IllegalArgumentException(flag + "=" + value
          + ": must be a port between 0 and 65535 (0: any free port)");
    }
    return p;
  }
}
