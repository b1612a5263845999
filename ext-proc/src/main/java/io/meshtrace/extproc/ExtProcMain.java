package io.meshtrace.extproc;

import io.meshtrace.context.explain.ExplainCommand;
import io.meshtrace.extproc.config.ConfigException;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executable: {@code java -jar ext-proc.jar serve [--config FILE] [--port N]
 * [--admin-port N] [--<key> VALUE ...]} or {@code java -jar ext-proc.jar explain ...}.
 *
 * <p>{@code serve} prints one line once both listeners are bound, e.g.
 * {@code ext-proc listening grpc=127.0.0.1:43123 admin=127.0.0.1:43124}, and on SIGTERM stops
 * accepting streams and drains open ones within {@code server.drain-timeout}.
 */
public final class ExtProcMain {

  private static final Logger log = LoggerFactory.getLogger(ExtProcMain.class);

  static final int EXIT_OK = 0;
  static final int EXIT_USAGE = 2;
  static final int EXIT_CONFIG = 3;
  static final int EXIT_START = 4;

  private ExtProcMain() {}

  public static void main(String[] args) {
    int code = run(args, System.in, System.out, System.err);
    if (code != EXIT_OK) {
      System.exit(code);
    }
  }

  static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      usage(err);
      return EXIT_USAGE;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "serve":
        return serve(rest, out, err);
      case "explain":
        return explain(rest, in, out, err);
      case "help":
      case "--help":
      case "-h":
        usage(out);
        return EXIT_OK;
      default:
        err.println("ext-proc: unknown command '" + args[0] + "'");
        usage(err);
        return EXIT_USAGE;
    }
  }

  private static int explain(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return ExplainCommand.run(args, in, out, err);
  }

  private static int serve(String[] args, PrintStream out, PrintStream err) {
    ExtProcConfig config;
    try {
      config = ExtProcConfigParser.fromArgs(args);
    } catch (ConfigException e) {
      err.println("ext-proc: invalid configuration, not starting:");
      for (String problem : e.problems()) {
        err.println("  " + problem);
      }
      return EXIT_CONFIG;
    }
    ExtProcServer server;
    AdminServer admin;
    try {
      server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    } catch (IOException | RuntimeException e) {
      err.println("ext-proc: cannot start the gRPC listener on " + config.grpcAddress() + ":"
          + config.grpcPort() + ": " + e);
      return EXIT_START;
    }
    try {
      admin = server.startAdmin(new InetSocketAddress(config.adminAddress(), config.adminPort()));
    } catch (IOException | RuntimeException e) {
      err.println("ext-proc: cannot start the admin listener on " + config.adminAddress() + ":"
          + config.adminPort() + ": " + e);
      try {
        server.shutdownNow();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      return EXIT_START;
    }
    out.println("ext-proc listening grpc=" + describe(server.listenSockets().get(0))
        + " admin=" + describe(admin.address()));
    out.flush();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutdown requested");
      try {
        server.shutdownGracefully(config.drainTimeout());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        admin.close();
        stopped.countDown();
      }
    }, "ext-proc-shutdown"));
    try {
      server.awaitTermination();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return EXIT_OK;
  }

  private static String describe(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }

  private static void usage(PrintStream out) {
    out.println("""
        usage: java -jar ext-proc.jar serve [--config FILE] [--port N] [--admin-port N] \
        [--address ADDR] [--<key> VALUE ...]
               java -jar ext-proc.jar explain [ARGS]   (run 'explain --help')

        serve    runs the Envoy ext_proc service that repairs trace context headers.
                 Keys are those of ext-proc.yaml, e.g. --repair.output-formats w3c,b3multi
        explain  shows what the repair does with given headers""");
  }
}
