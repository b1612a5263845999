package io.meshtrace.sdk.forward;

import io.meshtrace.context.RepairResult;
import java.net.http.HttpRequest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trace headers to put on an outgoing call, lower-case names in a fixed order, with
 * adapters for {@link HttpRequest.Builder} and plain maps.
 */
public final class ForwardedHeaders {

  private final Map<String, String> headers;
  private final RepairResult repair;

  ForwardedHeaders(Map<String, String> headers, RepairResult repair) {
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    this.repair = repair;
  }

  /** Name to value, e.g. {@code {x-request-id=..., x-b3-traceid=..., x-b3-spanid=...}}. */
  public Map<String, String> asMap() {
    return headers;
  }

  /** The value to send for {@code lowerCaseName}, or null. */
  public String get(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  public boolean isEmpty() {
    return headers.isEmpty();
  }

  /** Sets every header on {@code request} (replacing values already set) and returns it. */
  public HttpRequest.Builder applyTo(HttpRequest.Builder request) {
    for (Map.Entry<String, String> header : headers.entrySet()) {
      request.setHeader(header.getKey(), header.getValue());
    }
    return request;
  }

  /** Puts every header into {@code target} and returns it. */
  public <M extends Map<String, String>> M applyTo(M target) {
    target.putAll(headers);
    return target;
  }

  /**
   * What trace-context decided about the incoming context (verdict, reason), or null for
   * headers injected from an application's own context.
   */
  public RepairResult repair() {
    return repair;
  }

  @Override
  public String toString() {
    return headers.toString();
  }
}
