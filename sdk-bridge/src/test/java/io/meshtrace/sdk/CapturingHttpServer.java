package io.meshtrace.sdk;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/** An HTTP server on 127.0.0.1:0 that records every request and answers {@code status}. */
public final class CapturingHttpServer implements AutoCloseable {

  /** One request as received; the body is un-gzipped when it was sent gzipped. */
  public record Captured(String method, String path, Map<String, List<String>> headers, byte[] body) {
    public String header(String name) {
      for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
        if (entry.getKey().equalsIgnoreCase(name)) {
          return entry.getValue().get(0);
        }
      }
      return null;
    }
  }

  private final HttpServer server;
  private final LinkedBlockingQueue<Captured> requests = new LinkedBlockingQueue<>();

  public CapturingHttpServer(int status) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
    server.createContext("/", exchange -> {
      try (exchange) {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
          body = in.readAllBytes();
        }
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("content-encoding"))) {
          try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
            body = in.readAllBytes();
          }
        }
        requests.add(new Captured(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
            Map.copyOf(exchange.getRequestHeaders()), body));
        exchange.sendResponseHeaders(status, -1);
      }
    });
    server.start();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** The next request, waiting up to 10 s; fails the test when none arrives. */
  public Captured take() throws InterruptedException {
    Captured captured = requests.poll(10, TimeUnit.SECONDS);
    if (captured == null) {
      throw new AssertionError("no request arrived at " + url("/"));
    }
    return captured;
  }

  /** Forgets the requests received so far. */
  public void clear() {
    requests.clear();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
