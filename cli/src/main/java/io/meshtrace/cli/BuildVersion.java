package io.meshtrace.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * The meshtrace version this jar was built as, e.g. {@code 0.1.0}: what {@code --version}
 * prints and what {@code meshtrace_build_info} carries. Every module of a release has the same
 * version, so one resource written by the build is enough.
 */
public final class BuildVersion implements CommandLine.IVersionProvider {

  private static final String RESOURCE = "/io/meshtrace/cli/build.properties";
  private static final String VERSION = load();

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  /** The version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    return VERSION;
  }

  /** {@code --version}: {@code xds-server 0.1.0 (Java 17.0.15)}. */
  @Override
  public String[] getVersion() {
    return new String[] {spec.root().name() + " " + VERSION + " (Java "
        + Runtime.version() + ")"};
  }

  private static String load() {
    try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing classpath resource " + RESOURCE);
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "").trim();
      if (v.isEmpty() || v.startsWith("${")) {
        throw new IllegalStateException(RESOURCE + " has no version: the build did not filter it");
      }
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
