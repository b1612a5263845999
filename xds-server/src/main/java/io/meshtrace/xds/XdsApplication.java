package io.meshtrace.xds;

import io.meshtrace.xds.admin.AdminServer;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.live.ConfigFileWatcher;
import io.meshtrace.xds.live.ConfigStore;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.server.ProxyRegistry;
import io.meshtrace.xds.server.XdsServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;

/**
 * The whole control plane in one process: config store and file watch, snapshot cache, ADS
 * server and admin API.
 */
public final class XdsApplication implements AutoCloseable {

  /** Classpath location of the bundled Bookinfo config. */
  public static final String BUNDLED_CONFIG = "/io/meshtrace/xds/bookinfo.yaml";

  /** Environment variable that overrides {@code server.admin.tokenFile}. */
  public static final String TOKEN_ENV = "MESHTRACE_ADMIN_TOKEN";

  private final ControlPlane plane;
  private final ConfigStore store;
  private final XdsServer ads;
  private final AdminServer admin;
  private final ConfigFileWatcher watcher;
  private final String adsAddress;
  private final String adminAddress;

  private XdsApplication(ControlPlane plane, ConfigStore store, XdsServer ads, AdminServer admin,
      ConfigFileWatcher watcher, String adsAddress, String adminAddress) {
    this.plane = plane;
    this.store = store;
    this.ads = ads;
    this.admin = admin;
    this.watcher = watcher;
    this.adsAddress = adsAddress;
    this.adminAddress = adminAddress;
  }

  /**
   * Loads the config (the bundled one when {@code configFile} is null), then opens the ADS and
   * admin ports.
   *
   * @param adsPort overrides {@code server.ads.port} when not null
   * @param adminPort overrides {@code server.admin.port} when not null
   * @param poll how often the file content is checked
   * @throws ConfigException when the config is invalid (nothing is started)
   */
  public static XdsApplication start(Path configFile, Integer adsPort, Integer adminPort,
      Duration poll) throws IOException, ConfigException, GeneralSecurityException {
    Metrics metrics = new Metrics();
    ProxyRegistry registry = new ProxyRegistry(metrics);
    ControlPlane plane = new ControlPlane(registry, metrics);
    ConfigStore store = configFile == null
        ? ConfigStore.fromText(bundled(), plane, metrics)
        : ConfigStore.open(configFile, plane, metrics);
    MeshConfig.Server settings = plane.config().server();
    XdsServer ads = XdsServer.start(XdsServer.builder(settings, adsPort), plane);
    AdminServer admin = null;
    ConfigFileWatcher watcher = null;
    try {
      String token = System.getenv(TOKEN_ENV);
      if ((token == null || token.isBlank()) && settings.adminTokenFile() != null) {
        token = Files.readString(settings.adminTokenFile(), StandardCharsets.UTF_8).trim();
      }
      admin = AdminServer.start(settings.adminAddress(),
          adminPort == null ? settings.adminPort() : adminPort, store, plane, metrics, token,
          () -> true);
      if (configFile != null) {
        watcher = ConfigFileWatcher.start(store, poll);
      }
      return new XdsApplication(plane, store, ads, admin, watcher, settings.adsAddress(),
          settings.adminAddress());
    } catch (IOException | RuntimeException e) {
      if (admin != null) {
        admin.close();
      }
      ads.close();
      throw e;
    }
  }

  /** The bundled Bookinfo config text. */
  public static String bundled() throws IOException {
    try (InputStream in = XdsApplication.class.getResourceAsStream(BUNDLED_CONFIG)) {
      if (in == null) {
        throw new IOException("bundled config missing: " + BUNDLED_CONFIG);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Bound ADS port. */
  public int adsPort() {
    return ads.port();
  }

  /** Bound admin port. */
  public int adminPort() {
    return admin.port();
  }

  /** The line printed at start: {@code xds-server listening ads=127.0.0.1:18000 admin=...}. */
  public String listeningLine() {
    return "xds-server listening ads=" + adsAddress + ":" + adsPort() + " admin="
        + adminAddress + ":" + adminPort();
  }

  /** The control plane (snapshots, registry). */
  public ControlPlane plane() {
    return plane;
  }

  /** The config store. */
  public ConfigStore store() {
    return store;
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
    admin.close();
    ads.close();
  }
}
