package io.meshtrace.sdk.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;

/**
 * An application with no OpenTelemetry dependency at all: the JDK's HTTP server and client.
 * {@code GET /front} calls {@code GET /back} on itself and answers with what {@code /back}
 * answered: the request headers {@code /back} received, one {@code name: value} per line. The
 * test runs it alone on its class path, under the Java agent.
 */
public final class PlainHttpApp {

  private PlainHttpApp() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    int port = server.getAddress().getPort();
    server.createContext("/back", exchange -> {
      StringBuilder body = new StringBuilder();
      Map<String, List<String>> sorted = new TreeMap<>();
      exchange.getRequestHeaders().forEach((name, values) -> sorted.put(name.toLowerCase(Locale.ROOT), values));
      sorted.forEach((name, values) -> body.append(name).append(": ").append(String.join(",", values)).append('\n'));
      answer(exchange, 200, body.toString());
    });
    server.createContext("/front", exchange -> {
      HttpRequest call = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/back"))
          .timeout(Duration.ofSeconds(5)).GET().build();
      try {
        HttpResponse<String> back = client.send(call, HttpResponse.BodyHandlers.ofString());
        answer(exchange, back.statusCode(), back.body());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        answer(exchange, 502, "interrupted\n");
      } catch (IOException e) {
        answer(exchange, 502, e.toString() + "\n");
      }
    });
    // /front waits for /back on the same server: it needs more than the default single thread.
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("listening " + port);
    System.out.flush();
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
    exchange.close();
  }
}
