package io.meshtrace.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshtrace.admin.AdminServer;
import io.meshtrace.cli.ListenerBindException;
import io.meshtrace.extproc.ExtProcServer;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import io.meshtrace.xds.XdsApplication;
import io.meshtrace.xds.bootstrap.EnvoyBootstrap;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigText;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.NodeRole;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * xds-server and ext-proc running in this JVM, and the Envoy bootstraps that point at them.
 *
 * <p>Start order: ext-proc (its bound port goes into the mesh config; its new-trace sampling is
 * the mesh's random sampling, and follows it while running), the mesh config copy in the run directory (header repair pointed
 * at that ext-proc), xds-server on that copy, then the bootstraps. The copy is written only when
 * it is absent or {@link LaunchOptions#reset()} asks for it: what the admin API changed in it
 * is served again after a restart. {@link #close} stops xds-server, drains ext-proc, stops its admin listener.
 */
final class MeshRun implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MeshRun.class);

  /** Classpath location of the bundled mesh config ({@code launcher/config/meshtrace.yaml}). */
  static final String BUNDLED_CONFIG = "/io/meshtrace/launcher/meshtrace.yaml";
  static final String CONFIG_FILE = "xds.yaml";
  static final String GATEWAY_BOOTSTRAP = "gateway-bootstrap.yaml";
  static final String SIDECAR_BOOTSTRAP = "sidecar-bootstrap.yaml";
  /** Envoy admin ports in the bootstraps: both Envoys can run on one machine. */
  static final int GATEWAY_ENVOY_ADMIN_PORT = 15000;
  static final int SIDECAR_ENVOY_ADMIN_PORT = 15002;
  private static final String LOOPBACK = "127.0.0.1";

  private final ExtProcServer extProc;
  private final AdminServer extProcAdmin;
  private final ExtProcConfig extProcConfig;
  private final XdsApplication xds;
  private final Path gatewayBootstrap;
  private final Path sidecarBootstrap;
  private final String adsHost;

  private MeshRun(ExtProcServer extProc, AdminServer extProcAdmin, ExtProcConfig extProcConfig,
      XdsApplication xds, Path gatewayBootstrap, Path sidecarBootstrap, String adsHost) {
    this.extProc = extProc;
    this.extProcAdmin = extProcAdmin;
    this.extProcConfig = extProcConfig;
    this.xds = xds;
    this.gatewayBootstrap = gatewayBootstrap;
    this.sidecarBootstrap = sidecarBootstrap;
    this.adsHost = adsHost;
  }

  /**
   * Starts everything; on failure stops what was started and throws.
   *
   * @throws ConfigException the mesh config is invalid
   * @throws IOException a port cannot be bound, a file cannot be read or written
   */
  static MeshRun start(LaunchOptions o)
      throws IOException, ConfigException, GeneralSecurityException {
    Path config = o.dir().resolve(CONFIG_FILE);
    boolean fresh = o.reset() || !Files.exists(config);
    String meshText = !fresh ? Files.readString(config, StandardCharsets.UTF_8)
        : o.config() == null ? bundled() : Files.readString(o.config(), StandardCharsets.UTF_8);
    // Read before anything starts: a broken file starts nothing.
    JsonNode tree = ConfigText.readYaml(meshText);
    if (!fresh) {
      LOG.info("serving {} as it is (changes made through the admin API kept); --reset writes"
          + " it again", config);
    }

    ExtProcConfig epc;
    try {
      epc = ExtProcConfigParser.fromArgs("--address", o.bind(), "--admin.address", o.bind(),
          "--port", Integer.toString(o.extProcPort()),
          "--admin-port", Integer.toString(o.extProcAdminPort()),
          "--repair.new-trace-sampling-percent", Double.toString(meshRandomSampling(tree)));
    } catch (io.meshtrace.context.config.ConfigProblemsException e) {
      throw new IllegalArgumentException("--bind=" + o.bind() + ": " + e.problems(), e);
    }
    ExtProcServer extProc;
    try {
      extProc = new ExtProcServer(ExtProcServer.nettyBuilder(epc), epc).start();
    } catch (IOException e) {
      throw ListenerBindException.of("ext-proc", "grpc", epc.grpcAddress(), epc.grpcPort(), e);
    }
    AdminServer admin = null;
    XdsApplication xds = null;
    try {
      admin = extProc.startAdmin(AdminServer.builder("ext-proc")
          .address(epc.adminAddress(), epc.adminPort()).tls(o.adminTls()));

      Files.createDirectories(o.dir());
      JsonNode before = tree.deepCopy();
      pointHeaderRepairAt(tree, reachable(o.bind()), extProc.port());
      if (fresh) {
        Files.writeString(config, "# Served by the meshtrace launcher (copy of "
            + (o.config() == null ? "its bundled config" : o.config().toString())
            + ", header repair pointed at its ext-proc).\n# Edit it: xds-server applies changes"
            + " live; the launcher keeps it over restarts (--reset writes it again).\n"
            + ConfigText.writeYaml(tree), StandardCharsets.UTF_8);
      } else if (!before.equals(tree)) {
        // Only the ext-proc address moved (another --bind or ext-proc port): keep the rest.
        Files.writeString(config, ConfigText.writeYaml(tree), StandardCharsets.UTF_8);
      }
      xds = XdsApplication.start(new XdsApplication.Options(config, o.bind(), o.adsPort(),
          o.xdsAdminPort(), Duration.ofSeconds(1), o.adminTls()));

      // From here ext-proc's new-trace sampling follows every config xds-server swaps in (a PUT,
      // a file edit); the listener comes first so that no change falls between it and the read.
      ExtProcServer sampled = extProc;
      xds.plane().onApplied(next -> followSampling(sampled, next));
      MeshConfig mesh = xds.plane().config();
      followSampling(extProc, mesh);
      String adsHost = reachable(xds.adsAddress());
      Path gateway = o.dir().resolve(GATEWAY_BOOTSTRAP).toAbsolutePath();
      Files.writeString(gateway, EnvoyBootstrap.yaml(new EnvoyBootstrap.Options(
          NodeGroups.DEFAULT_GATEWAY_CLUSTER, NodeGroups.DEFAULT_GATEWAY_CLUSTER,
          NodeRole.GATEWAY, adsHost, xds.adsPort(), GATEWAY_ENVOY_ADMIN_PORT, true)),
          StandardCharsets.UTF_8);
      String service = mesh.services().isEmpty() ? "unknown" : mesh.services().get(0).name();
      Path sidecar = o.dir().resolve(SIDECAR_BOOTSTRAP).toAbsolutePath();
      Files.writeString(sidecar, EnvoyBootstrap.yaml(new EnvoyBootstrap.Options(
          service + "-local", service, NodeRole.SIDECAR, adsHost, xds.adsPort(),
          SIDECAR_ENVOY_ADMIN_PORT, true)), StandardCharsets.UTF_8);
      return new MeshRun(extProc, admin, epc, xds, gateway, sidecar, adsHost);
    } catch (IOException | ConfigException | GeneralSecurityException | RuntimeException e) {
      if (xds != null) {
        xds.close();
      }
      if (admin != null) {
        admin.close();
      }
      try {
        extProc.shutdownNow();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
  }

  /** Where a local Envoy reaches a listener bound to {@code address}: loopback for wildcards. */
  static String reachable(String address) {
    return address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]")
        ? LOOPBACK : address;
  }

  /**
   * When the config turns header repair on, its ext_proc target becomes the ext-proc this
   * launcher runs.
   */
  static void pointHeaderRepairAt(JsonNode tree, String host, int port) {
    JsonNode repair = tree.path("gateway").path("headerRepair");
    if (!repair.isObject() || !repair.path("enabled").asBoolean(false)) {
      return;
    }
    JsonNode ext = repair.get("extProc");
    ObjectNode e = ext != null && ext.isObject() ? (ObjectNode) ext
        : ((ObjectNode) repair).putObject("extProc");
    e.put("host", host);
    e.put("port", port);
  }

  /**
   * The random sampling of the mesh's rules without {@code selector}, as xds-server folds them
   * (a later rule overrides), read from the file before ext-proc starts (the file is parsed only
   * once ext-proc's port is in it): ext-proc samples the traces it starts at the same rate as the
   * Envoys do, so a trace started at the gateway is no likelier to be kept than one started by
   * Envoy.
   */
  static double meshRandomSampling(JsonNode tree) {
    double percent = MeshConfig.TracingRule.DEFAULT_RANDOM_SAMPLING;
    for (JsonNode rule : tree.path("tracing")) {
      JsonNode p = rule.path("randomSamplingPercentage");
      if (!rule.has("selector") && p.isNumber() && p.asDouble() >= 0 && p.asDouble() <= 100) {
        percent = p.asDouble();
      }
    }
    return percent;
  }

  /**
   * {@link #meshRandomSampling(JsonNode)} of a parsed config (Telemetry resources' rules
   * included): what ext-proc follows while running.
   */
  static double meshRandomSampling(MeshConfig config) {
    double percent = MeshConfig.TracingRule.DEFAULT_RANDOM_SAMPLING;
    for (MeshConfig.TracingRule rule : config.tracing()) {
      if (rule.services().isEmpty() && rule.randomSamplingPercentage() != null) {
        percent = rule.randomSamplingPercentage();
      }
    }
    return percent;
  }

  private static void followSampling(ExtProcServer extProc, MeshConfig config) {
    extProc.newTraceSamplingPercent(meshRandomSampling(config));
  }

  static String bundled() throws IOException {
    try (InputStream in = MeshRun.class.getResourceAsStream(BUNDLED_CONFIG)) {
      if (in == null) {
        throw new IOException("bundled config missing: " + BUNDLED_CONFIG);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  XdsApplication xds() {
    return xds;
  }

  /** The share of the traces ext-proc starts that it samples now, in percent. */
  double newTraceSamplingPercent() {
    return extProc.repairPolicy().newTraceSamplingPercent();
  }

  int extProcPort() {
    return extProc.port();
  }

  int extProcAdminPort() {
    return extProcAdmin.address().getPort();
  }

  Path gatewayBootstrap() {
    return gatewayBootstrap;
  }

  Path sidecarBootstrap() {
    return sidecarBootstrap;
  }

  /**
   * The one line printed at start: every bound port, both bootstraps and how to start Envoy.
   *
   * <pre>
   * meshtrace running ads=127.0.0.1:18000 xds-admin=127.0.0.1:18001 ext-proc=127.0.0.1:18080
   * ext-proc-admin=127.0.0.1:18081 gateway-bootstrap=/.../gateway-bootstrap.yaml
   * sidecar-bootstrap=/.../sidecar-bootstrap.yaml; start Envoy: envoy -c /.../gateway-bootstrap.yaml
   * | envoy -c /.../sidecar-bootstrap.yaml --base-id 1
   * </pre>
   */
  String line() {
    return "meshtrace running ads=" + xds.adsAddress() + ":" + xds.adsPort()
        + " xds-admin=" + xds.adminAddress() + ":" + xds.adminPort()
        + " ext-proc=" + extProcConfig.grpcAddress() + ":" + extProcPort()
        + " ext-proc-admin=" + extProcConfig.adminAddress() + ":" + extProcAdminPort()
        + " gateway-bootstrap=" + gatewayBootstrap
        + " sidecar-bootstrap=" + sidecarBootstrap
        + "; start Envoy: envoy -c " + gatewayBootstrap
        + " | envoy -c " + sidecarBootstrap + " --base-id 1";
  }

  /** Stops xds-server, then drains ext-proc (at most its drain timeout) and its admin. */
  @Override
  public void close() {
    xds.close();
    try {
      extProc.shutdownGracefully(extProcConfig.drainTimeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      extProcAdmin.close();
    }
    LOG.info("xds-server and ext-proc stopped (ADS was at {})", adsHost);
  }
}
