package io.meshtrace.xds.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This replica's name and its peers, and the fleet view of {@code GET /proxies?scope=fleet}:
 * this replica's own view merged with every peer's {@code GET /proxies}, asked in parallel.
 *
 * <p>A peer that does not answer within {@link #PEER_TIMEOUT}, answers with an error, or sends
 * more than {@link #MAX_PEER_BYTES} is listed as {@code unreachable} with the reason; it never
 * holds the local part back longer than that. Peer calls carry the admin bearer token.
 */
public final class Fleet implements AutoCloseable {

  /** Longest wait for the peer list and for every peer's answer, all in parallel. */
  public static final Duration PEER_TIMEOUT = Duration.ofSeconds(2);
  /** Peers asked at most; the rest are listed as not asked. */
  static final int MAX_PEERS = 32;
  /** Largest answer read from one peer. */
  static final int MAX_PEER_BYTES = 8 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final String replica;
  private final PeerSource peers;
  private final ExecutorService pool;
  private volatile HttpClient http;

  /**
   * @param replica this replica's name in every view ({@code --replica})
   * @param peers the other replicas' admin URLs
   */
  public Fleet(String replica, PeerSource peers) {
    if (replica == null || replica.isBlank()) {
      throw new IllegalArgumentException("replica name must not be blank");
    }
    this.replica = replica;
    this.peers = peers;
    ThreadPoolExecutor p = new ThreadPoolExecutor(8, 8, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(8 * MAX_PEERS), r -> {
          Thread t = new Thread(r, "fleet-" + THREADS.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    p.allowCoreThreadTimeOut(true);
    this.pool = p;
  }

  /** A replica without peers, named {@link #defaultReplica()}. */
  public static Fleet alone() {
    return new Fleet(defaultReplica(), PeerSource.NONE);
  }

  /**
   * The {@code HOSTNAME} environment variable (the pod name in Kubernetes), else the host name,
   * else {@code xds-server}.
   */
  public static String defaultReplica() {
    String host = System.getenv("HOSTNAME");
    if (host != null && !host.isBlank()) {
      return host.trim();
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "xds-server";
    }
  }

  /** This replica's name. */
  public String replica() {
    return replica;
  }

  /** Where the peers come from. */
  public PeerSource peers() {
    return peers;
  }

  /**
   * The fleet view: {@code local} (this replica's view, {@code replicas} and {@code proxies})
   * with every peer's replicas and proxies added, each unreachable peer listed with its reason.
   */
  ObjectNode merge(ObjectNode local, String token) throws InterruptedException {
    long deadline = System.nanoTime() + PEER_TIMEOUT.toNanos();
    ObjectNode out = local.deepCopy();
    out.put("scope", "fleet");
    out.put("peers", peers.describe());
    ArrayNode replicas = (ArrayNode) out.get("replicas");
    ArrayNode proxies = (ArrayNode) out.get("proxies");
    List<URI> urls;
    try {
      urls = within(pool.submit(peers::peers), deadline);
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      replicas.addObject().put("peers", peers.describe()).put("state", "unreachable")
          .put("error", "peer list not read: " + reason(e));
      return out;
    }
    List<Ask> asks = new ArrayList<>();
    for (URI url : urls) {
      if (asks.size() == MAX_PEERS) {
        replicas.addObject().put("peer", url.toString()).put("state", "not asked")
            .put("error", "more than " + MAX_PEERS + " peers");
        continue;
      }
      Ask ask = new Ask(url, token);
      try {
        ask.future = pool.submit(ask::call);
      } catch (RejectedExecutionException e) {
        replicas.addObject().put("peer", url.toString()).put("state", "not asked")
            .put("error", "too many fleet views asked at once");
        continue;
      }
      asks.add(ask);
    }
    for (Ask ask : asks) {
      ObjectNode row = JSON.createObjectNode();
      row.put("peer", ask.url.toString());
      JsonNode view;
      try {
        view = within(ask.future, deadline);
      } catch (ExecutionException | TimeoutException e) {
        ask.abandon();
        replicas.add(row.put("state", "unreachable").put("error", reason(e)));
        continue;
      }
      String name = view.path("replica").asText("");
      if (name.equals(replica)) {
        continue;
      }
      row.put("replica", name);
      row.put("state", "ok");
      int count = 0;
      for (JsonNode p : view.path("proxies")) {
        if (p.isObject()) {
          ObjectNode proxy = (ObjectNode) p;
          if (!proxy.has("replica")) {
            proxy.put("replica", name);
          }
          proxies.add(proxy);
          count++;
        }
      }
      row.put("proxies", count);
      replicas.add(row);
    }
    return out;
  }

  private static <T> T within(Future<T> f, long deadline)
      throws InterruptedException, ExecutionException, TimeoutException {
    long left = Math.max(1, deadline - System.nanoTime());
    try {
      return f.get(left, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw e;
    }
  }

  private static String reason(Exception e) {
    if (e instanceof TimeoutException) {
      return "no answer within " + PEER_TIMEOUT.toMillis() + " ms";
    }
    Throwable c = e.getCause() == null ? e : e.getCause();
    String m = c.getMessage();
    return c instanceof PeerException ? m
        : c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private HttpClient http() {
    HttpClient c = http;
    if (c == null) {
      synchronized (this) {
        c = http;
        if (c == null) {
          c = HttpClient.newBuilder().connectTimeout(PEER_TIMEOUT)
              .followRedirects(HttpClient.Redirect.NEVER).build();
          http = c;
        }
      }
    }
    return c;
  }

  /** A peer's answer that is not a view. */
  private static final class PeerException extends IOException {
    private static final long serialVersionUID = 1L;

    PeerException(String message) {
      super(message);
    }
  }

  /** One peer's {@code GET /proxies}; its body stream is closed when the wait gives up. */
  private final class Ask {
    final URI url;
    final String token;
    final AtomicReference<InputStream> body = new AtomicReference<>();
    Future<JsonNode> future;

    Ask(URI url, String token) {
      this.url = url;
      this.token = token;
    }

    JsonNode call() throws IOException, InterruptedException {
      HttpRequest.Builder b = HttpRequest.newBuilder(url.resolve("/proxies"))
          .timeout(PEER_TIMEOUT).header("Accept", "application/json").GET();
      if (token != null && !token.isBlank()) {
        b.header("Authorization", "Bearer " + token.trim());
      }
      HttpResponse<InputStream> r = http().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = r.body()) {
        body.set(in);
        byte[] bytes = in.readNBytes(MAX_PEER_BYTES + 1);
        if (bytes.length > MAX_PEER_BYTES) {
          throw new PeerException("answer larger than " + MAX_PEER_BYTES + " bytes");
        }
        if (r.statusCode() != 200) {
          throw new PeerException("GET /proxies answered " + r.statusCode()
              + (r.statusCode() == 401 || r.statusCode() == 403
                  ? " (is its admin token the same as this replica's?)" : ""));
        }
        JsonNode view;
        try {
          view = JSON.readTree(bytes);
        } catch (IOException e) {
          throw new PeerException("GET /proxies did not answer JSON");
        }
        if (view == null || !view.path("replica").isTextual()
            || !view.path("proxies").isArray()) {
          throw new PeerException("GET /proxies did not answer a replica's view "
              + "(an xds-server of another version?)");
        }
        return view;
      }
    }

    void abandon() {
      InputStream in = body.get();
      if (in != null) {
        try {
          in.close();
        } catch (IOException e) {
          // Closing only stops the read.
        }
      }
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
    peers.close();
  }
}
