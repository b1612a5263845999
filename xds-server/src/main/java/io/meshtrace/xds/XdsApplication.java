package io.meshtrace.xds;

import io.meshtrace.admin.AdminServer;
import io.meshtrace.admin.AdminTls;
import io.meshtrace.admin.AdminTokenOptions;
import io.meshtrace.admin.AdminTokens;
import io.meshtrace.admin.ServiceMetrics;
import io.meshtrace.cli.ListenerBindException;
import io.meshtrace.xds.admin.AdminApi;
import io.meshtrace.xds.admin.Fleet;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.kubernetes.KubernetesConfigSource;
import io.meshtrace.xds.kubernetes.KubernetesUnreachableException;
import io.meshtrace.xds.live.ConfigFileWatcher;
import io.meshtrace.xds.live.ConfigSource;
import io.meshtrace.xds.live.ConfigStore;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.server.ProxyRegistry;
import io.meshtrace.xds.server.XdsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole control plane in one process: the config source (the file and its watch, or the
 * {@code MeshTracing} resource on the Kubernetes API), snapshot cache, ADS server and admin API.
 */
public final class XdsApplication implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(XdsApplication.class);

  /** Classpath location of the bundled Bookinfo config. */
  public static final String BUNDLED_CONFIG = "/io/meshtrace/xds/bookinfo.yaml";

  /** Environment variable that overrides {@code server.admin.tokenFile}. */
  public static final String TOKEN_ENV = AdminTokens.WRITE_ENV;

  private final ControlPlane plane;
  private final ConfigSource source;
  private final XdsServer ads;
  private final AdminServer admin;
  private final ConfigFileWatcher watcher;
  private final String adsAddress;
  private final String adminAddress;
  private final Fleet fleet;

  private XdsApplication(ControlPlane plane, ConfigSource source, XdsServer ads,
      AdminServer admin, ConfigFileWatcher watcher, String adsAddress, String adminAddress,
      Fleet fleet) {
    this.fleet = fleet;
    this.plane = plane;
    this.source = source;
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
   * @param kubernetes the {@code MeshTracing} to serve instead of a file, or null; then
   *     {@code configFile} must be null and the process settings are the defaults and flags
   * @param adminTokens the admin tokens from flags, or null: then from the environment
   *     ({@code MESHTRACE_ADMIN_TOKEN}, {@code MESHTRACE_ADMIN_READ_TOKEN}), else from
   *     {@code server.admin.tokenFile} and {@code server.admin.readTokenFile}
   * @param fleet this replica's name and peers for {@code /proxies?scope=fleet}, or null for a
   *     replica alone; closed with the application
   * @param adsTls TLS of the ADS port instead of {@code server.ads.tls}, or null (the only way
   *     to give the Kubernetes source, whose resource holds no {@code server}, a TLS port)
   */
  public record Options(Path configFile, String bind, Integer adsPort, Integer adminPort,
      Duration poll, AdminTls adminTls, KubernetesConfigSource.Settings kubernetes,
      AdminTokenOptions adminTokens, Fleet fleet, MeshConfig.Tls adsTls) {
    public Options {
      if (kubernetes != null && configFile != null) {
        throw new IllegalArgumentException("configFile=" + configFile
            + ": the Kubernetes source reads no file; give one or the other");
      }
    }

    /**
     * A file source (the bundled config when {@code configFile} is null), without token flags,
     * a replica alone.
     */
    public Options(Path configFile, String bind, Integer adsPort, Integer adminPort,
        Duration poll, AdminTls adminTls) {
      this(configFile, bind, adsPort, adminPort, poll, adminTls, null, null, null, null);
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

  /**
   * Like {@link #start(Path, Integer, Integer, Duration)}, with every override. With a
   * Kubernetes source the resource is read first; one that is absent or invalid does not stop
   * the start: nothing is served (and {@code /readyz} says not ready) until a valid spec comes.
   *
   * @throws KubernetesUnreachableException (as the cause of an {@link IOException}) when the
   *     resource could not be read at all
   */
  public static XdsApplication start(Options o)
      throws IOException, ConfigException, GeneralSecurityException {
    Fleet fleet = o.fleet() != null ? o.fleet() : Fleet.alone();
    Metrics metrics = new Metrics();
    ServiceMetrics.register(metrics.registry(), SERVICE);
    ProxyRegistry registry = new ProxyRegistry(metrics);
    ControlPlane plane = new ControlPlane(registry, metrics);
    Path configFile = o.configFile();
    ConfigSource source;
    MeshConfig.Server settings;
    if (o.kubernetes() != null) {
      try {
        source = KubernetesConfigSource.start(o.kubernetes(), plane, metrics);
      } catch (KubernetesUnreachableException e) {
        throw new IOException(e.getMessage(), e);
      }
      settings = MeshConfig.Server.DEFAULT;
    } else {
      source = configFile == null
          ? ConfigStore.fromText(bundled(), plane, metrics)
          : ConfigStore.open(configFile, plane, metrics);
      settings = plane.config().server();
    }
    plane.limits(settings.limits());
    if (o.adsTls() != null) {
      settings = new MeshConfig.Server(settings.adsAddress(), settings.adsPort(),
          settings.adminAddress(), settings.adminPort(), o.adsTls(), settings.adminTokenFile(),
          settings.adminReadTokenFile(), settings.limits());
    }
    String adsAddress = o.bind() != null ? o.bind() : settings.adsAddress();
    String adminAddress = o.bind() != null ? o.bind() : settings.adminAddress();
    int adsPort = o.adsPort() != null ? o.adsPort() : settings.adsPort();
    int adminPort = o.adminPort() != null ? o.adminPort() : settings.adminPort();
    XdsServer ads;
    try {
      ads = XdsServer.start(XdsServer.builder(settings, adsAddress, adsPort), plane);
    } catch (IOException e) {
      source.close();
      throw ListenerBindException.of(SERVICE, "ads", adsAddress, adsPort, e);
    }
    AdminServer admin = null;
    ConfigFileWatcher watcher = null;
    try {
      AdminTokenOptions flags = o.adminTokens() == null ? new AdminTokenOptions()
          : o.adminTokens();
      AdminTokens tokens = flags.load(System.getenv(), settings.adminTokenFile(),
          settings.adminReadTokenFile());
      AdminServer.Builder adminBuilder = AdminServer.builder(SERVICE)
          .address(adminAddress, adminPort)
          .tls(o.adminTls())
          .tokens(tokens)
          .registry(metrics.registry())
          .readiness(() -> plane.config() != null);
      new AdminApi(source, plane, metrics, fleet).routes().forEach(adminBuilder::route);
      if (!tokens.configured() && !InetAddress.getByName(adminAddress)
          .isLoopbackAddress()) {
        LOG.warn("admin API on {} without a token: anyone who reaches it can read the config"
            + " and proxies (writes are refused); set --admin-token-file or {}", adminAddress,
            AdminTokens.WRITE_ENV);
      }
      admin = adminBuilder.start();
      if (source instanceof ConfigStore store && configFile != null) {
        watcher = ConfigFileWatcher.start(store, o.poll());
      }
      return new XdsApplication(plane, source, ads, admin, watcher, adsAddress, adminAddress,
          fleet);
    } catch (IOException | RuntimeException e) {
      if (admin != null) {
        admin.close();
      }
      ads.close();
      source.close();
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

  /** Where the config comes from and admin writes go. */
  public ConfigSource source() {
    return source;
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
    source.close();
    admin.close();
    ads.close();
    fleet.close();
  }
}
