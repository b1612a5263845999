package io.meshtrace.extproc;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The server side of the ext_proc benchmarks, in its own JVM: {@code meshtrace} (our service
 * with its bundled defaults) or {@code noop} (the baseline), on 127.0.0.1 and a free port.
 * Prints {@code PORT <n>} once serving; exits when its standard input closes, so it never
 * outlives the process that started it.
 *
 * <pre>{@code java -cp benchmarks/target/benchmarks.jar io.meshtrace.extproc.BenchServerMain meshtrace}</pre>
 */
public final class BenchServerMain {

  private BenchServerMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: BenchServerMain meshtrace|noop");
      System.exit(2);
    }
    Runnable stop;
    int port;
    switch (args[0]) {
      case "meshtrace": {
        // The bundled defaults, bound to loopback on a free port.
        ExtProcConfig config = ExtProcConfigParser.fromArgs(
            "--address", "127.0.0.1", "--port", "0", "--admin-port", "0");
        ExtProcServer server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
        port = server.port();
        stop = () -> {
          try {
            server.shutdownNow();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
        break;
      }
      case "noop": {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(new NoopExternalProcessor())
            .build()
            .start();
        port = server.getPort();
        stop = server::shutdownNow;
        break;
      }
      default:
        System.err.println("unknown server " + args[0] + ": expected meshtrace or noop");
        System.exit(2);
        return;
    }
    System.out.println("PORT " + port);
    System.out.flush();
    try {
      while (System.in.read() >= 0) {
        // Held open by the parent; EOF means it is gone.
      }
    } catch (IOException e) {
      // Parent gone.
    }
    stop.run();
    System.exit(0);
  }
}
