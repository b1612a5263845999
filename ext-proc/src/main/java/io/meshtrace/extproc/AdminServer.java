package io.meshtrace.extproc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The HTTP admin listener: {@code GET /healthz} (200 while the process runs), {@code /readyz}
 * (200 while serving, 503 before start and once draining) and {@code /metrics} (Prometheus
 * text format). Started by {@link ExtProcServer#startAdmin}; closing it stops the listener.
 *
 * <pre>{@code
 * try (AdminServer admin = server.startAdmin(new InetSocketAddress("127.0.0.1", 0))) {
 *   int port = admin.address().getPort();
 *   ...
 * }
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;

  AdminServer(InetSocketAddress address, ExtProcMetrics metrics, BooleanSupplier ready)
      throws IOException {
    server = HttpServer.create(address, 0);
    executor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "ext-proc-admin");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/healthz", exchange -> text(exchange, 200, "ok\n"));
    server.createContext("/readyz", exchange -> {
      if (ready.getAsBoolean()) {
        text(exchange, 200, "ready\n");
      } else {
        text(exchange, 503, "not ready\n");
      }
    });
    server.createContext("/metrics", exchange -> {
      if (!exact(exchange)) {
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream(4096);
      metrics.writeText(body);
      send(exchange, 200, metrics.contentType(), body.toByteArray());
    });
  }

  void start() {
    server.start();
  }

  /** The bound address (the actual port when started on port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Stops the listener at once. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void text(HttpExchange exchange, int status, String body) throws IOException {
    if (!exact(exchange)) {
      return;
    }
    send(exchange, status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
  }

  /** Answers 404 for paths below a context ({@code /healthz/x}) and 405 for non-GET. */
  private static boolean exact(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    if (!path.equals(exchange.getHttpContext().getPath())) {
      send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
      return false;
    }
    String method = exchange.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      send(exchange, 405, "text/plain; charset=utf-8",
          "method not allowed\n".getBytes(StandardCharsets.UTF_8));
      return false;
    }
    return true;
  }

  private static void send(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      if (!head) {
        out.write(body);
      }
    }
  }
}
