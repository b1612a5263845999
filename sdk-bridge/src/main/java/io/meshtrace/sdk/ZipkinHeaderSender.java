package io.meshtrace.sdk;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;

/**
 * Posts Zipkin span lists with extra request headers (an API key or bearer token that managed
 * Zipkin-compatible backends ask for), over the JDK's HTTP client. zipkin-reporter's
 * URLConnection sender has no way to add headers; it stays the sender when none are set.
 */
final class ZipkinHeaderSender extends BytesMessageSender.Base {

  /** Zipkin's default collector limit. */
  static final int MESSAGE_MAX_BYTES = 500_000;

  private final URI endpoint;
  private final Map<String, String> headers;
  private final Duration timeout;
  private final HttpClient client;

  ZipkinHeaderSender(URI endpoint, Encoding encoding, Map<String, String> headers, Duration timeout) {
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
    HttpResponse<String> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending spans to " + endpoint, e);
    }
    if (response.statusCode() / 100 != 2) {
      String body = response.body();
      throw new IOException("POST " + endpoint + " answered " + response.statusCode() + ": "
          + (body.length() > 200 ? body.substring(0, 200) + "..." : body));
    }
  }

  @Override
  public void close() {
    // The JDK 17 HTTP client holds no resources that need closing.
  }

  @Override
  public String toString() {
    return "ZipkinHeaderSender{" + endpoint + "}";
  }
}
