package io.meshtrace.xds.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshtrace.admin.AdminResponse;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.Redaction;
import io.meshtrace.xds.server.ControlPlane;
import java.io.UncheckedIOException;

/**
 * Every JSON answer of xds-server's admin routes, scrubbed of each secret value of the config
 * being served ({@link Redaction#scrub}): NACK messages quote the config Envoy rejected, and a
 * config dump holds the header values Envoy was sent.
 */
final class ScrubbedJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ControlPlane plane;

  ScrubbedJson(ControlPlane plane) {
    this.plane = plane;
  }

  /** {@code body} written as indented JSON, then scrubbed. */
  AdminResponse of(int status, Object body) {
    try {
      return text(status, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JSON text already written, scrubbed. */
  AdminResponse text(int status, String json) {
    MeshConfig served = plane.config();
    Redaction secrets = served == null ? Redaction.NONE : Redaction.of(served);
    return AdminResponse.json(status, secrets.scrub(json));
  }
}
