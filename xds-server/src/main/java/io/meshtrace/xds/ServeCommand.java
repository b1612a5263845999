package io.meshtrace.xds;

import io.meshtrace.admin.AdminTls;
import io.meshtrace.admin.AdminTlsOptions;
import io.meshtrace.admin.AdminTokenOptions;
import io.meshtrace.cli.BuildVersion;
import io.meshtrace.cli.Cli;
import io.meshtrace.cli.ExitCode;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshtrace.xds.admin.Fleet;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.kubernetes.KubernetesConfigSource;
import io.meshtrace.xds.kubernetes.MeshTracingRef;
import io.meshtrace.xds.kubernetes.MeshTracingStatusWriter;
import io.meshtrace.xds.live.ConfigStore;
import io.meshtrace.xds.config.MeshConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xds-server serve}: the control plane until SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serves a mesh config over ADS (SotW and delta) with the admin API beside it; "
        + "applies changes of the file, or of the MeshTracing resource (--source kubernetes), "
        + "live. Prints one line once both ports are open:",
        "  xds-server listening ads=127.0.0.1:18000 admin=127.0.0.1:18001"})
final class ServeCommand implements Callable<Integer>, Cli.ListenerFlags {

  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  static final long MIN_POLL_MS = 10;
  static final long MAX_POLL_MS = 3_600_000;
  /** How long a start waits for the first list of the MeshTracing. */
  static final Duration FIRST_LIST = Duration.ofSeconds(30);

  /** Where the mesh config comes from. */
  enum Source { file, kubernetes }

  private final PrintStream out;
  private final PrintStream err;

  @Spec
  private CommandSpec spec;

  @Option(names = "--source", paramLabel = "SOURCE", defaultValue = "file",
      description = "file (default): --config FILE, or the bundled mesh; kubernetes: the "
          + "MeshTracing --namespace NS --name NAME, watched through the API server (in-cluster "
          + "service account, else KUBECONFIG); admin writes then go to that resource.")
  Source source;

  @Option(names = "--namespace", paramLabel = "NS",
      description = "Namespace of the MeshTracing (--source kubernetes) and of "
          + "--peers-service (default there: the client's namespace, in a pod its own).")
  String namespace;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Name of the MeshTracing (--source kubernetes).")
  String name;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The mesh config (YAML); default: the bundled Bookinfo mesh, not watched.")
  Path config;

  @Option(names = "--bind", paramLabel = "ADDR",
      description = "Listen address of ADS and the admin API, instead of server.ads.address and "
          + "server.admin.address (both 127.0.0.1 unless the config says otherwise); "
          + "0.0.0.0 for every interface.")
  String bind;

  @Option(names = "--port", paramLabel = "N",
      description = "ADS port instead of server.ads.port (default 18000; 0: any free port).")
  Integer port;

  @Option(names = "--admin-port", paramLabel = "N",
      description = "Admin API port instead of server.admin.port (default 18001).")
  Integer adminPort;

  @Option(names = "--ads-tls-cert", paramLabel = "FILE",
      description = "PEM certificate chain of the ADS port (with --ads-tls-key), instead of "
          + "server.ads.tls; the way to serve ADS over TLS with --source kubernetes.")
  Path adsTlsCert;

  @Option(names = "--ads-tls-key", paramLabel = "FILE",
      description = "PEM (PKCS#8) private key of --ads-tls-cert.")
  Path adsTlsKey;

  @Option(names = "--ads-tls-client-ca", paramLabel = "FILE",
      description = "PEM CA that ADS clients' certificates must chain to: mTLS, a client "
          + "without one is refused.")
  Path adsTlsClientCa;

  @Option(names = "--poll-ms", paramLabel = "N", defaultValue = "1000",
      description = "How often the config file is checked for changes, in milliseconds "
          + "(" + MIN_POLL_MS + " to " + MAX_POLL_MS + ", default: ${DEFAULT-VALUE}).")
  long pollMs;

  @Mixin
  AdminTlsOptions adminTls = new AdminTlsOptions();

  @Mixin
  AdminTokenOptions adminTokens = new AdminTokenOptions();

  @Mixin
  FleetOptions fleet = new FleetOptions();

  ServeCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public String flagFor(String service, String listener) {
    return switch (listener) {
      case "ads" -> "--port (or server.ads.port in the config)";
      case "admin" -> "--admin-port (or server.admin.port in the config)";
      default -> null;
    };
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    CommandLine cl = spec.commandLine();
    checkPort("--port", port, cl);
    checkPort("--admin-port", adminPort, cl);
    if (pollMs < MIN_POLL_MS || pollMs > MAX_POLL_MS) {
      throw new CommandLine.ParameterException(cl, "--poll-ms=" + pollMs + ": must be between "
          + MIN_POLL_MS + " and " + MAX_POLL_MS);
    }
    if (bind != null && bind.isBlank()) {
      throw new CommandLine.ParameterException(cl, "--bind: must be an IP address or host name");
    }
    MeshConfig.Tls adsTls = adsTls(cl);
    MeshTracingRef ref = kubernetesRef(cl);
    String shown = ref != null ? "MeshTracing " + ref
        : config == null ? "bundled config" : config.toString();
    XdsApplication app;
    Fleet peers = null;
    try {
      AdminTls tls = adminTls.load(cl);
      KubernetesConfigSource.Settings kubernetes = ref == null ? null
          : new KubernetesConfigSource.Settings(ref, new KubernetesClientBuilder().build(),
              MeshTracingStatusWriter.LeaseSettings.defaults(ref), FIRST_LIST);
      peers = fleet.build(cl, tls != null, adminPort, namespace);
      app = XdsApplication.start(new XdsApplication.Options(config, bind, port, adminPort,
          Duration.ofMillis(pollMs), tls, kubernetes, adminTokens, peers, adsTls));
      peers = null;
    } catch (ConfigException e) {
      err.println(shown + ": invalid");
      e.errors().forEach(x -> err.println("  " + x));
      return ExitCode.CONFIG;
    } catch (GeneralSecurityException e) {
      // Unusable key material: the configuration is wrong, not the machine.
      err.println("xds-server cannot start: " + e.getMessage());
      return ExitCode.CONFIG;
    } catch (io.meshtrace.cli.ListenerBindException e) {
      throw e;
    } catch (IOException e) {
      // An unreadable file: say which, without a stack trace.
      err.println("xds-server cannot start: " + e);
      return ExitCode.FAILURE;
    } finally {
      if (peers != null) {
        peers.close();
      }
    }
    LOG.info(serving(app, shown));
    out.println(app.listeningLine());
    out.flush();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stop.countDown();
    }, "shutdown"));
    stop.await();
    return ExitCode.OK;
  }

  /** The ADS port's TLS from the flags, or null when none is given. */
  private MeshConfig.Tls adsTls(CommandLine cl) {
    if (adsTlsCert == null && adsTlsKey == null && adsTlsClientCa == null) {
      return null;
    }
    if (adsTlsCert == null || adsTlsKey == null) {
      throw new CommandLine.ParameterException(cl, (adsTlsCert == null ? "--ads-tls-cert"
          : "--ads-tls-key") + ": missing; --ads-tls-cert and --ads-tls-key go together"
          + (adsTlsClientCa != null ? " (--ads-tls-client-ca needs both)" : ""));
    }
    return new MeshConfig.Tls(adsTlsCert, adsTlsKey, null, null, adsTlsClientCa,
        adsTlsClientCa != null);
  }

  /** The resource of {@code --source kubernetes}, null for the file source. */
  private MeshTracingRef kubernetesRef(CommandLine cl) {
    if (source == Source.file) {
      if (namespace != null || name != null) {
        throw new CommandLine.ParameterException(cl, (namespace != null ? "--namespace"
            : "--name") + ": only with --source kubernetes");
      }
      return null;
    }
    if (config != null) {
      throw new CommandLine.ParameterException(cl, "--config=" + config
          + ": --source kubernetes reads the MeshTracing resource, not a file");
    }
    if (namespace == null || name == null) {
      throw new CommandLine.ParameterException(cl, "--source kubernetes needs "
          + (namespace == null ? "--namespace NS" : "--name NAME") + " of the MeshTracing");
    }
    try {
      return new MeshTracingRef(namespace, name);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--" + e.getMessage());
    }
  }

  /**
   * What this process serves, logged once at start: {@code xds-server 0.1.0 serving
   * bookinfo.yaml (content 3f2a9c1b0d4e): meshVersion 1.22.0, propagation W3C, providers
   * [zipkin (Zipkin zipkin.istio-system:9411)], groups [sidecar/productpage, ...], ads=...}.
   */
  static String serving(XdsApplication app, String source) {
    MeshConfig config = app.plane().config();
    String where = "; ads=" + app.adsAddress() + ":" + app.adsPort() + " admin="
        + app.adminAddress() + ":" + app.adminPort();
    if (config == null) {
      // The Kubernetes source starts without a valid resource and serves its first good spec.
      return XdsApplication.SERVICE + " " + BuildVersion.version() + " waiting for " + source
          + ": nothing served yet, not ready (" + app.source().lastErrors().size()
          + " problems, GET /config/tracing lists them)" + where;
    }
    List<String> providers = new ArrayList<>();
    for (MeshConfig.Provider p : config.providers()) {
      providers.add(p.name() + " (" + p.getClass().getSimpleName() + " " + p.host() + ":"
          + p.port() + ")");
    }
    String hash = app.source() instanceof ConfigStore file ? file.appliedHash() : null;
    return XdsApplication.SERVICE + " " + BuildVersion.version() + " serving " + source
        + (hash == null ? "" : " (content " + hash.substring(0, Math.min(12, hash.length())) + ")")
        + ": meshVersion " + (config.meshVersion() == null ? "not set" : config.meshVersion())
        + ", propagation " + config.propagation()
        + ", providers " + providers
        + ", default providers " + config.defaultProviders()
        + ", services " + config.services().size()
        + ", groups " + app.plane().versionsByGroup().keySet() + where;
  }

  private static void checkPort(String flag, Integer value, CommandLine cl) {
    if (value != null && (value < 0 || value > 65535)) {
      throw new CommandLine.ParameterException(cl, flag + "=" + value
          + ": must be a port between 0 and 65535 (0: any free port)");
    }
  }
}
