package io.meshtrace.xds.live;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;

/**
 * Where the served mesh document comes from and where admin writes go: the config file
 * ({@link ConfigStore}, {@code serve --source file}, the default) or a {@code MeshTracing}
 * resource on the Kubernetes API ({@code serve --source kubernetes}).
 *
 * <p>Either way a change is parsed and every snapshot built and checked before it is served; a
 * change with problems is never served and the last good document stays.
 */
public interface ConfigSource extends AutoCloseable {

  /** What the server reads, for messages: {@code file /etc/meshtrace/mesh.yaml}. */
  String describe();

  /** The document as last applied (a copy); null while nothing was applied yet. */
  JsonNode document();

  /** Problems of the last refused change, empty after a good one. */
  List<String> lastErrors();

  /**
   * Applies a {@code PUT /config/tracing} body: exactly one JSON object whose keys are any of
   * {@link TracingPatch#KEYS}, at most {@code ConfigText.MAX_BYTES}. Checked first: an invalid
   * change writes nothing.
   *
   * @throws IOException when writing failed in a way that is the machine's fault (nothing
   *     changed); a source that cannot be written by design answers {@code CONFLICT}
   */
  WriteResult updateTracing(byte[] body) throws IOException;

  /**
   * Checks a {@code PUT /config/tracing} body the way {@link #updateTracing(byte[])} does (the
   * same parser, the same snapshot checks) without writing or serving anything: what the
   * console shows next to a field while it is typed.
   *
   * @return the problems, each {@code key=value: what was expected}; empty when the change
   *     would be applied (a racing change can still refuse it)
   */
  List<String> checkTracing(byte[] body);

  /** Stops watching; the last applied document stays served by the control plane. */
  @Override
  default void close() {}
}
