package io.meshtrace.xds;

import io.meshtrace.xds.bootstrap.EnvoyBootstrap;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * Command line.
 *
 * <pre>
 * xds-server serve [--config FILE] [--port N] [--admin-port N] [--poll-ms N]
 * xds-server validate FILE
 * xds-server bootstrap --node-id ID --cluster NAME [--role sidecar|gateway]
 *     [--xds-host H] [--xds-port P] [--admin-port N] [--delta|--sotw]
 * </pre>
 * {@code serve} prints one line once both ports are open:
 * {@code xds-server listening ads=127.0.0.1:18000 admin=127.0.0.1:18001}. {@code validate}
 * builds and checks every snapshot and exits 1 with one message per problem. {@code bootstrap}
 * prints an Envoy bootstrap YAML that points an Envoy at this server.
 */
public final class Main {

  private Main() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command; returns the exit code ({@code serve} blocks until interrupted). */
  static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      usage(args.length == 0 ? err : out);
      return args.length == 0 ? 2 : 0;
    }
    switch (args[0]) {
      case "validate":
        if (args.length != 2) {
          usage(err);
          return 2;
        }
        return validate(Path.of(args[1]), out, err);
      case "serve":
        return serve(args, out, err);
      case "bootstrap":
        return bootstrap(args, out, err);
      default:
        err.println("unknown command: " + args[0]);
        usage(err);
        return 2;
    }
  }

  static int validate(Path file, PrintStream out, PrintStream err) {
    List<String> errors;
    MeshConfig config = null;
    Map<io.meshtrace.xds.snapshot.GroupKey, MeshSnapshots.Result> results = Map.of();
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      config = ConfigParser.parse(text, file.toAbsolutePath().getParent());
      results = MeshSnapshots.buildAll(config, java.util.Set.of());
      errors = MeshSnapshots.errors(results);
    } catch (ConfigException e) {
      errors = e.errors();
    } catch (IOException e) {
      errors = List.of(file + ": cannot read: " + e.getMessage());
    }
    if (!errors.isEmpty()) {
      err.println(file + ": invalid");
      errors.forEach(e -> err.println("  " + e));
      return 1;
    }
    config.warnings().forEach(w -> err.println("warning: " + w));
    out.println(file + ": ok, propagation " + config.propagation().configName() + ", "
        + results.size() + " node groups");
    results.forEach((g, r) -> out.println("  " + g + " " + new TreeMap<>(r.versions())));
    return 0;
  }

  private static int serve(String[] args, PrintStream out, PrintStream err) throws Exception {
    Path config = null;
    Integer port = null;
    Integer adminPort = null;
    long pollMs = 1000;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        err.println("missing value for " + a);
        return 2;
      }
      String v = args[++i];
      try {
        switch (a) {
          case "--config":
            config = Path.of(v);
            break;
          case "--port":
            port = Integer.parseInt(v);
            break;
          case "--admin-port":
            adminPort = Integer.parseInt(v);
            break;
          case "--poll-ms":
            pollMs = Long.parseLong(v);
            break;
          default:
            err.println("unknown option: " + a);
            usage(err);
            return 2;
        }
      } catch (NumberFormatException e) {
        err.println(a + "=" + v + ": must be a number");
        return 2;
      }
    }
    XdsApplication app;
    try {
      app = XdsApplication.start(config, port, adminPort, Duration.ofMillis(pollMs));
    } catch (ConfigException e) {
      err.println((config == null ? "bundled config" : config.toString()) + ": invalid");
      e.errors().forEach(x -> err.println("  " + x));
      return 1;
    } catch (IOException | java.security.GeneralSecurityException e) {
      // Unreadable file or key material, port in use: say which, without a stack trace.
      err.println("xds-server cannot start: " + e);
      return 1;
    }
    out.println(app.listeningLine());
    out.flush();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stop.countDown();
    }, "shutdown"));
    stop.await();
    return 0;
  }

  /** Default Envoy admin port in printed bootstraps. */
  static final int DEFAULT_ENVOY_ADMIN_PORT = 15000;

  static int bootstrap(String[] args, PrintStream out, PrintStream err) {
    String nodeId = null;
    String cluster = null;
    String role = "sidecar";
    String xdsHost = "127.0.0.1";
    String xdsPort = "18000";
    String adminPort = Integer.toString(DEFAULT_ENVOY_ADMIN_PORT);
    boolean delta = true;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--delta") || a.equals("--sotw")) {
        delta = a.equals("--delta");
        continue;
      }
      if (i + 1 >= args.length) {
        err.println("missing value for " + a);
        return 2;
      }
      String v = args[++i];
      switch (a) {
        case "--node-id":
          nodeId = v;
          break;
        case "--cluster":
          cluster = v;
          break;
        case "--role":
          role = v;
          break;
        case "--xds-host":
          xdsHost = v;
          break;
        case "--xds-port":
          xdsPort = v;
          break;
        case "--admin-port":
          adminPort = v;
          break;
        default:
          err.println("unknown option: " + a);
          usage(err);
          return 2;
      }
    }
    try {
      EnvoyBootstrap.Options o = new EnvoyBootstrap.Options(nodeId, cluster,
          EnvoyBootstrap.role(role), xdsHost, number("--xds-port", xdsPort),
          number("--admin-port", adminPort), delta);
      out.print(EnvoyBootstrap.yaml(o));
      out.flush();
      return 0;
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      usage(err);
      return 2;
    }
  }

  private static int number(String flag, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + "=" + v + ": must be a number");
    }
  }

  private static void usage(PrintStream s) {
    s.println("usage: xds-server serve [--config FILE] [--port N] [--admin-port N]"
        + " [--poll-ms N]");
    s.println("       xds-server validate FILE");
    s.println("       xds-server bootstrap --node-id ID --cluster NAME [--role sidecar|gateway]"
        + " [--xds-host H] [--xds-port P] [--admin-port N] [--delta|--sotw]");
  }
}
