package io.meshtrace.extproc.config;

import io.meshtrace.context.RepairPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The validated configuration of the ext-proc service. Built by {@link ExtProcConfigParser}
 * from the bundled defaults, an optional YAML file and command-line flags.
 *
 * @param grpcAddress address the ext_proc gRPC listener binds, e.g. {@code 0.0.0.0}
 * @param grpcPort its port; 0 picks a free one
 * @param adminAddress address of the HTTP admin listener
 * @param adminPort its port; 0 picks a free one
 * @param drainTimeout how long a SIGTERM waits for open streams before cancelling them
 * @param tls server certificate and optional client CA, or null for plaintext
 * @param repairPolicy the trace context repair policy
 * @param markerHeader name of the header that carries the repair reason, or null when off
 * @param maxConcurrentStreams streams open at once before new ones are refused
 * @param maxStreamsPerConnection streams open at once on one connection (HTTP/2
 *     {@code SETTINGS_MAX_CONCURRENT_STREAMS}), at most {@code maxConcurrentStreams}
 * @param maxUnsentBytesPerConnection response bytes a connection may have waiting for its peer
 *     to read; a response over it ends its stream with RESOURCE_EXHAUSTED
 * @param maxHeaderBytes requests with more header bytes (names + values) pass untouched
 * @param maxHeaders requests with more header entries pass untouched
 * @param firstMessageTimeout a stream that sends no message for this long is ended
 * @param streamIdleTimeout a stream that sent a message and then nothing for this long is ended
 */
public record ExtProcConfig(
    String grpcAddress,
    int grpcPort,
    String adminAddress,
    int adminPort,
    Duration drainTimeout,
    Tls tls,
    RepairPolicy repairPolicy,
    String markerHeader,
    int maxConcurrentStreams,
    int maxStreamsPerConnection,
    long maxUnsentBytesPerConnection,
    int maxHeaderBytes,
    int maxHeaders,
    Duration firstMessageTimeout,
    Duration streamIdleTimeout) {

  public ExtProcConfig {
    Objects.requireNonNull(grpcAddress, "grpcAddress");
    Objects.requireNonNull(adminAddress, "adminAddress");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(repairPolicy, "repairPolicy");
    Objects.requireNonNull(firstMessageTimeout, "firstMessageTimeout");
    Objects.requireNonNull(streamIdleTimeout, "streamIdleTimeout");
  }

  /**
   * TLS for the gRPC listener: PEM certificate chain and key, and with {@code clientCa} set,
   * client certificates are required and checked against it (mTLS).
   */
  public record Tls(Path certChain, Path privateKey, Path clientCa) {
    public Tls {
      Objects.requireNonNull(certChain, "certChain");
      Objects.requireNonNull(privateKey, "privateKey");
    }
  }

  /** A copy listening on other ports (tests use 0). */
  public ExtProcConfig withPorts(int grpc, int admin) {
    return new ExtProcConfig(grpcAddress, grpc, adminAddress, admin, drainTimeout, tls,
        repairPolicy, markerHeader, maxConcurrentStreams, maxStreamsPerConnection,
        maxUnsentBytesPerConnection, maxHeaderBytes, maxHeaders, firstMessageTimeout,
        streamIdleTimeout);
  }
}
