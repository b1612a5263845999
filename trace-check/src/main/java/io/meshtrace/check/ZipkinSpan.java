package io.meshtrace.check;

import java.util.Map;

/**
 * The fields of one Zipkin v2 span the check looks at.
 *
 * @param timestamp epoch microseconds, 0 when absent
 * @param duration microseconds, 0 when absent
 */
public record ZipkinSpan(
    String traceId,
    String id,
    String parentId,
    String name,
    String kind,
    long timestamp,
    long duration,
    String localService,
    String remoteService,
    Map<String, String> tags) {

  /** Tags under which meshes and SDKs record {@code x-request-id}. */
  private static final String[] REQUEST_ID_TAGS = {
    "guid:x-request-id", "x-request-id", "http.request.header.x-request-id", "request_id"
  };

  /** Tags that name or locate the caller of a server span, best first. */
  private static final String[] CALLER_TAGS = {
    "downstream_cluster", "client.address", "net.peer.ip", "peer.address", "net.sock.peer.addr"
  };

  /**
   * Who sent this span's request, as far as the span itself says: its remote endpoint's
   * service name, else Envoy's {@code downstream_cluster} tag, else the client address.
   */
  public String callerHint() {
    if (remoteService != null && !"CLIENT".equals(kind) && !"PRODUCER".equals(kind)) {
      return remoteService;
    }
    for (String key : CALLER_TAGS) {
      String value = tags.get(key);
      if (value != null && !value.isBlank() && !"-".equals(value)) {
        return value;
      }
    }
    return null;
  }

  public long end() {
    return timestamp + duration;
  }

  public String requestId() {
    for (String key : REQUEST_ID_TAGS) {
      String value = tags.get(key);
      if (value != null && !value.isBlank()) {
        // OpenTelemetry records header attributes as a list: ["abc"].
        String v = value.trim();
        if (v.startsWith("[") && v.endsWith("]")) {
          v = v.substring(1, v.length() - 1).replace("\"", "").trim();
        }
        if (!v.isEmpty()) {
          return v;
        }
      }
    }
    return null;
  }

  public String service() {
    return localService == null ? "(unknown service)" : localService;
  }

  public String describe() {
    return service() + " span '" + (name == null ? "" : name) + "' (trace " + traceId + ", id " + id + ")";
  }
}
