package io.meshtrace.xds.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A request header (or gRPC metadata entry) sent to a collector
 * ({@code extensionProviders[i].opentelemetry.http.headers[j]}, {@code ...grpc.initialMetadata}).
 *
 * @param value the value Envoy is sent (resolved from {@code source})
 * @param source where the value comes from: written in the file, or a reference
 *     ({@link SecretRef}); only this is ever shown
 */
public record Header(String name, String value, SecretRef source) {

  /** A value written in the file. */
  public Header(String name, String value) {
    this(name, value, SecretRef.LITERAL);
  }

  /**
   * The headers (or gRPC initial metadata) {@code provider} sends to its collector, and those
   * its Dynatrace sampler sends to the sampling configuration API.
   */
  public static List<Header> sentBy(MeshConfig.Provider provider) {
    if (provider instanceof MeshConfig.OpenTelemetryGrpc g) {
      return g.initialMetadata();
    }
    if (!(provider instanceof MeshConfig.OpenTelemetryHttp h)) {
      return List.of();
    }
    if (h.sampler() == null || h.sampler().headers() == h.headers()) {
      return h.headers();
    }
    List<Header> all = new ArrayList<>(h.headers());
    all.addAll(h.sampler().headers());
    return all;
  }

  /** Whether the value must not be shown: it comes from a reference or the name is sensitive. */
  public boolean secret() {
    return source.external() || Redaction.sensitiveName(name);
  }

  @Override
  public String toString() {
    return "Header[" + name + ", " + (secret() ? source + " " + Redaction.REDACTED : value) + "]";
  }
}
