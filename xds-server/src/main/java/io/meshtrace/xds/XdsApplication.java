package io.meshtrace.xds;

import io.meshtrace.admin.AdminServer;
import io.meshtrace.admin.AdminTls;
import io.meshtrace.admin.ServiceMetrics;
import io.meshtrace.cli.ListenerBindException;
import io.meshtrace.xds.admin.AdminApi;
import io.meshtrace.xds.admin.Fleet;
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
  private final Fleet fleet;

  private XdsApplication(ControlPlane plane, ConfigStore store, XdsServer ads, AdminServer admin,
      ConfigFileWatcher watcher, String adsAddress, String adminAddress, Fleet fleet) {
    this.fleet = fleet;
    this.plane = plane;
    this.store = store;
    this.ads = ads;
    this.admin = admin;
    this.watcher = watcher;
    this.adsAddress = adsAddress;
    this.adminAddress = adminAddress;
  }

  /** The service name in logs, metrics and errors. */
  public static final String SERVICE = "xds-server";

  /**
   * What {@link #start(Options)} overrides of the config's {@code server} section.
   *
   * @param configFile the mesh config; null serves the bundled one (and nothing is watched)
   * @param bind listen address of both ADS and admin instead of {@code server.ads.address} and
   *     {@code server.admin.address}, or null
   * @param adsPort overrides {@code server.ads.port} when not null
   * @param adminPort overrides {@code server.admin.port} when not null
   * @param poll how often the file content is checked
   * @param adminTls HTTPS for the admin API, or null for plain HTTP
   * @param fleet this replica's name and peers for {@code /proxies?scope=fleet}, or null for a
   *     replica alone; closed with the application
   */
  public record Options(Path configFile, String bind, Integer adsPort, Integer adminPort,
      Duration poll, AdminTls adminTls, Fleet fleet) {

    /** A replica alone, named {@link Fleet#defaultReplica()}. */
    public Options(Path configFile, String bind, Integer adsPort, Integer adminPort,
        Duration poll, AdminTls adminTls) {
      this(configFile, bind, adsPort, adminPort, poll, adminTls, null);
    }
  }

  /**
   * Loads the config (the bundled one when {@code configFile} is null), then opens the ADS and
   * admin ports.
   *
   * @throws ConfigException when the config is invalid (nothing is started)
   * @throws ListenerBindException when the ADS or admin port cannot be bound
   */
  public static XdsApplication start(Path configFile, Integer adsPort, Integer adminPort,
      Duration poll) throws IOException, ConfigException, GeneralSecurityException {
    return start(new Options(configFile, null, adsPort, adminPort, poll, null));
  }

  /** Like {@link #start(Path, Integer, Integer, Duration)}, with every override. */
  public static XdsApplication start(Options o)
      throws IOException, ConfigException, GeneralSecurityException {
    Fleet fleet = o.fleet() != null ? o.fleet() : Fleet.alone();
    Metrics metrics = new Metrics();
    ServiceMetrics.register(metrics.registry(), SERVICE);
    ProxyRegistry registry = new ProxyRegistry(metrics);
    ControlPlane plane = new ControlPlane(registry, metrics);
    Path configFile = o.configFile();
    ConfigStore store = configFile == null
        ? ConfigStore.fromText(bundled(), plane, metrics)
        : ConfigStore.open(configFile, plane, metrics);
    MeshConfig.Server settings = plane.config().server();
    String adsAddress = o.bind() != null ? o.bind() : settings.adsAddress();
    String adminAddress = o.bind() != null ? o.bind() : settings.adminAddress();
    int adsPort = o.adsPort() != null ? o.adsPort() : settings.adsPort();
    int adminPort = o.adminPort() != null ? o.adminPort() : settings.adminPort();
    XdsServer ads;
    try {
      ads = XdsServer.start(XdsServer.builder(settings, adsAddress, adsPort), plane);
    } catch (IOException e) {
      throw ListenerBindException.of(SERVICE, "ads", adsAddress, adsPort, e);
    }
    AdminServer admin = null;
    ConfigFileWatcher watcher = null;
    try {
      String token = System.getenv(TOKEN_ENV);
      if ((token == null || token.isBlank()) && settings.adminTokenFile() != null) {
        token = Files.readString(settings.adminTokenFile(), StandardCharsets.UTF_8).trim();
      }
      AdminServer.Builder adminBuilder = AdminServer.builder(SERVICE)
          .address(adminAddress, adminPort)
          .tls(o.adminTls())
          .registry(metrics.registry())
          .readiness(() -> plane.config() != null);
      new AdminApi(store, plane, metrics, token, fleet).routes().forEach(adminBuilder::route);
      admin = adminBuilder.start();
      if (configFile != null) {
        watcher = ConfigFileWatcher.start(store, o.poll());
      }
      return new XdsApplication(plane, store, ads, admin, watcher, adsAddress, adminAddress,
          fleet);
    } catch (IOException | RuntimeException e) {
      if (admin != null) {
        admin.close();
      }
      ads.close();
      fleet.close();
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

  /** The address ADS listens on. */
  public String adsAddress() {
    return adsAddress;
  }

  /** The address the admin API listens on. */
  public String adminAddress() {
    return adminAddress;
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
    fleet.close();
  }
}
