package io.meshtrace.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;

/**
 * Posts Zipkin span lists over the JDK's HTTP client, with optional extra request headers (an
 * API key or bearer token that managed Zipkin-compatible backends ask for). zipkin-reporter's
 * senders cannot add headers, and the Java agent bundles only its OkHttp one; the JDK client
 * is there in every JVM.
 */
final class JdkZipkinSender extends BytesMessageSender.Base {

  /** Zipkin's default collector limit. */
  static final int MESSAGE_MAX_BYTES = 500_000;
  /** How much of an error response is quoted. */
  private static final int MAX_QUOTED_BODY = 200;

  private final URI endpoint;
  private final Map<String, String> headers;
  private final Duration timeout;
  private final HttpClient client;

  JdkZipkinSender(URI endpoint, Encoding encoding, Map<String, String> headers, Duration timeout) {
    super(encoding);
    this.endpoint = endpoint;
    this.headers = Map.copyOf(headers);
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public int messageMaxBytes() {
    return MESSAGE_MAX_BYTES;
  }

  @Override
  public void send(List<byte[]> encodedSpans) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
        .timeout(timeout)
        .header("Content-Type", encoding.mediaType())
        .POST(HttpRequest.BodyPublishers.ofByteArray(encoding.encode(encodedSpans)));
    for (Map.Entry<String, String> header : headers.entrySet()) {
      request.setHeader(header.getKey(), header.getValue());
    }
    HttpResponse<InputStream> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending spans to " + endpoint, e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() / 100 != 2) {
        byte[] quoted = body.readNBytes(MAX_QUOTED_BODY + 1);
        String text = new String(quoted, 0, Math.min(quoted.length, MAX_QUOTED_BODY), StandardCharsets.UTF_8);
        throw new IOException("POST " + endpoint + " answered " + response.statusCode() + ": "
            + text.replaceAll("[\\p{Cntrl}]", " ") + (quoted.length > MAX_QUOTED_BODY ? "..." : ""));
      }
      // Drain so the connection can be reused; a Zipkin answer to a post is empty.
      body.skip(Long.MAX_VALUE);
    }
  }

  @Override
  public void close() {
    // The JDK 17 HTTP client holds no resources that need closing.
  }

  @Override
  public String toString() {
    return "JdkZipkinSender{" + endpoint + ", " + encoding + "}";
  }
}
