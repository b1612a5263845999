package io.meshtrace.launcher;

import io.meshtrace.xds.config.ConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.util.concurrent.CountDownLatch;

/**
 * One command for the whole control side of meshtrace: xds-server and ext-proc in one JVM on
 * fixed default ports, the gateway's header repair pointed at that ext-proc, and Envoy
 * bootstraps for a gateway and a sidecar written to a directory.
 *
 * <pre>
 * $ java -jar launcher/target/meshtrace.jar
 * meshtrace running ads=127.0.0.1:18000 xds-admin=127.0.0.1:18001 ext-proc=127.0.0.1:18080 ...
 * </pre>
 * SIGTERM or SIGINT stops both gracefully. Exit codes: 0 after a clean stop, 1 invalid mesh
 * config or a port that cannot be bound, 2 bad command line.
 */
public final class Launcher {

  private Launcher() {}

  /** Entry point. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
      out.println(LaunchOptions.USAGE);
      return 0;
    }
    LaunchOptions options;
    try {
      options = LaunchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("meshtrace: " + e.getMessage());
      err.println(LaunchOptions.USAGE);
      return 2;
    }
    MeshRun run;
    try {
      run = MeshRun.start(options);
    } catch (ConfigException e) {
      err.println("meshtrace: invalid mesh config, nothing started:");
      e.errors().forEach(x -> err.println("  " + x));
      return 1;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      err.println("meshtrace: cannot start: " + e);
      return 1;
    }
    out.println(run.line());
    out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      run.close();
      stopped.countDown();
    }, "meshtrace-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
