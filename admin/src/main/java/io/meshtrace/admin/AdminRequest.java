package io.meshtrace.admin;

import com.sun.net.httpserver.Headers;
import java.net.InetSocketAddress;
import java.util.List;

/** One request to an admin route: method, path, headers and the (bounded) body, already read. */
public final class AdminRequest {

  private final String method;
  private final String path;
  private final String query;
  private final Headers headers;
  private final byte[] body;
  private final InetSocketAddress remote;

  AdminRequest(String method, String path, String query, Headers headers, byte[] body,
      InetSocketAddress remote) {
    this.method = method;
    this.path = path;
    this.query = query;
    this.headers = headers;
    this.body = body;
    this.remote = remote;
  }

  /** {@code GET}, {@code HEAD}, {@code PUT}, ... */
  public String method() {
    return method;
  }

  /** The decoded path, e.g. {@code /config/tracing}. */
  public String path() {
    return path;
  }

  /** The raw query without {@code ?}, or null. */
  public String query() {
    return query;
  }

  /** The first value of a header (names are case-insensitive), or null. */
  public String header(String name) {
    return headers.getFirst(name);
  }

  /** Every value of a header, empty when absent. */
  public List<String> headers(String name) {
    List<String> values = headers.get(name);
    return values == null ? List.of() : values;
  }

  /** The body (empty for routes that take none). */
  public byte[] body() {
    return body.clone();
  }

  /** The client's address. */
  public InetSocketAddress remote() {
    return remote;
  }
}
