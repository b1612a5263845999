package io.meshtrace.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads traces from a Zipkin server's API v2: {@code GET /api/v2/traces}. */
public final class ZipkinTraceSource {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient client;
  private final Duration timeout;

  /** Reads from the Zipkin at {@code base}, e.g. {@code http://127.0.0.1:9411}. */
  public ZipkinTraceSource(URI base, Duration timeout) {
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /**
   * Traces that ended within {@code lookback} before {@code endTsMillis}, at most
   * {@code limit}, of {@code serviceName} or of every service when it is null.
   */
  public List<List<ZipkinSpan>> traces(String serviceName, Duration lookback, long endTsMillis, int limit)
      throws IOException, InterruptedException {
    StringBuilder query = new StringBuilder("/api/v2/traces?endTs=").append(endTsMillis)
        .append("&lookback=").append(lookback.toMillis())
        .append("&limit=").append(limit);
    if (serviceName != null) {
      query.append("&serviceName=").append(URLEncoder.encode(serviceName, StandardCharsets.UTF_8));
    }
    URI uri = URI.create(base + query.toString());
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(uri).timeout(timeout).header("accept", "application/json").GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() != 200) {
      throw new IOException("GET " + uri + " answered " + response.statusCode() + ": "
          + abbreviate(response.body()));
    }
    return parse(response.body());
  }

  /**
   * The spans of one trace ({@code GET /api/v2/trace/{traceId}}), empty when Zipkin does not
   * have it.
   *
   * @throws IllegalArgumentException when {@code traceId} is not 16 or 32 hex characters
   */
  public List<ZipkinSpan> trace(String traceId) throws IOException, InterruptedException {
    if (!isTraceId(traceId)) {
      throw new IllegalArgumentException("traceId=" + abbreviate(traceId)
          + ": must be 16 or 32 hex characters");
    }
    URI uri = URI.create(base + "/api/v2/trace/" + traceId.toLowerCase(java.util.Locale.ROOT));
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(uri).timeout(timeout).header("accept", "application/json").GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() == 404) {
      return List.of();
    }
    if (response.statusCode() != 200) {
      throw new IOException("GET " + uri + " answered " + response.statusCode() + ": "
          + abbreviate(response.body()));
    }
    List<List<ZipkinSpan>> one = parse("[" + response.body() + "]");
    return one.isEmpty() ? List.of() : one.get(0);
  }

  /** True for 16 or 32 hex characters, the trace id lengths Zipkin stores. */
  public static boolean isTraceId(String id) {
    if (id == null || (id.length() != 16 && id.length() != 32)) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      if (Character.digit(id.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Parses a {@code [[span, ...], ...]} body as Zipkin's API v2 returns it. */
  public static List<List<ZipkinSpan>> parse(String body) throws IOException {
    JsonNode root = JSON.readTree(body);
    if (root == null || !root.isArray()) {
      throw new IOException("expected a JSON array of traces, got: " + abbreviate(body));
    }
    List<List<ZipkinSpan>> traces = new ArrayList<>();
    for (JsonNode trace : root) {
      if (!trace.isArray()) {
        throw new IOException("expected each trace to be a JSON array of spans, got: " + abbreviate(trace.toString()));
      }
      List<ZipkinSpan> spans = new ArrayList<>();
      for (JsonNode node : trace) {
        ZipkinSpan span = span(node);
        // A span without ids cannot be placed in a trace; Zipkin never stores one.
        if (span.traceId() != null && span.id() != null) {
          spans.add(span);
        }
      }
      if (!spans.isEmpty()) {
        traces.add(spans);
      }
    }
    return traces;
  }

  static ZipkinSpan span(JsonNode node) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> tag : node.path("tags").properties()) {
      tags.put(tag.getKey(), tag.getValue().asText());
    }
    return new ZipkinSpan(
        text(node, "traceId"),
        text(node, "id"),
        text(node, "parentId"),
        text(node, "name"),
        text(node, "kind"),
        node.path("timestamp").asLong(0),
        node.path("duration").asLong(0),
        text(node.path("localEndpoint"), "serviceName"),
        text(node.path("remoteEndpoint"), "serviceName"),
        tags);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() || value.asText().isEmpty() ? null : value.asText();
  }

  private static String abbreviate(String s) {
    return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
