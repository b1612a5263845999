package io.meshtrace.admin;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a route answers: status, content type, body and extra headers. */
public final class AdminResponse {

  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  private final int status;
  private final String contentType;
  private final byte[] body;
  private final Map<String, String> headers;

  private AdminResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
    this.status = status;
    this.contentType = contentType;
    this.body = body;
    this.headers = headers;
  }

  /** A {@code text/plain; charset=utf-8} answer. */
  public static AdminResponse text(int status, String body) {
    return new AdminResponse(status, TEXT, body.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /** An {@code application/json} answer; {@code json} is already serialized. */
  public static AdminResponse json(int status, String json) {
    return new AdminResponse(status, JSON, json.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /** An answer of any content type. */
  public static AdminResponse of(int status, String contentType, byte[] body) {
    return new AdminResponse(status, contentType, body.clone(), Map.of());
  }

  /** This answer with one more response header, e.g. {@code WWW-Authenticate: Bearer}. */
  public AdminResponse withHeader(String name, String value) {
    Map<String, String> next = new LinkedHashMap<>(headers);
    next.put(name, value);
    return new AdminResponse(status, contentType, body, Map.copyOf(next));
  }

  public int status() {
    return status;
  }

  public String contentType() {
    return contentType;
  }

  byte[] bodyBytes() {
    return body;
  }

  Map<String, String> headers() {
    return headers;
  }
}
