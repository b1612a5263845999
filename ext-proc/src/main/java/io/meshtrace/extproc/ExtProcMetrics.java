package io.meshtrace.extproc;

import io.meshtrace.admin.ServiceMetrics;
import io.meshtrace.context.Reason;
import io.meshtrace.context.Verdict;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The service's Prometheus metrics, one registry per server, with the JVM, process and
 * {@code meshtrace_build_info} metrics every meshtrace service exports:
 * <pre>
 * meshtrace_extproc_requests_total{verdict="repair",reason="b3-span-id-missing"} 12
 * meshtrace_extproc_messages_total{kind="response_headers"} 3
 * meshtrace_extproc_active_streams 4
 * meshtrace_extproc_streams_total 17
 * meshtrace_extproc_streams_refused_total 0
 * meshtrace_extproc_streams_expired_total{timeout="idle"} 2
 * meshtrace_extproc_streams_unread_total 0
 * meshtrace_extproc_unsent_response_bytes 0
 * meshtrace_extproc_mutations_dropped_total 0
 * meshtrace_extproc_processing_seconds_bucket{le="0.0001"} 15
 * </pre>
 * Verdicts are {@code pass}, {@code repair}, {@code regenerate}, plus {@code skipped} (over a
 * configured limit, passed untouched) and {@code error} (the engine failed, passed untouched).
 */
final class ExtProcMetrics {

  /** The service name in logs, metrics ({@code meshtrace_build_info}) and errors. */
  static final String SERVICE = "ext-proc";
  static final String SKIPPED = "skipped";
  static final String ERROR = "error";
  /** {@code timeout} label: no first message within {@code limits.first-message-timeout}. */
  static final String FIRST_MESSAGE_TIMEOUT = "first-message";
  /** {@code timeout} label: nothing after a message for {@code limits.stream-idle-timeout}. */
  static final String IDLE_TIMEOUT = "idle";

  private static final double[] LATENCY_BOUNDS = {
      0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5,
      0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter requests;
  /** Data points by verdict and reason, made on first use so that only seen pairs are exported. */
  private final AtomicReferenceArray<CounterDataPoint> verdictPoints;
  private final int reasonCount;
  private final Counter messages;
  private final CounterDataPoint[] messagePoints;
  private final Counter streams;
  private final Counter refused;
  private final Counter dropped;
  private final Counter expired;
  private final Counter unread;
  private final Histogram latency;
  private final LongSupplier unsentBytes;

  /**
   * @param activeStreams streams open now
   * @param unsentBytes response bytes written and not yet taken by their peers, all connections
   */
  ExtProcMetrics(IntSupplier activeStreams, LongSupplier unsentBytes) {
    this.unsentBytes = unsentBytes;
    ServiceMetrics.register(registry, SERVICE);
    requests = Counter.builder()
        .name("meshtrace_extproc_requests_total")
        .help("Request headers processed, by repair verdict and main reason")
        .labelNames("verdict", "reason")
        .register(registry);
    reasonCount = Reason.values().length;
    verdictPoints = new AtomicReferenceArray<>(Verdict.values().length * reasonCount);
    messages = Counter.builder()
        .name("meshtrace_extproc_messages_total")
        .help("ext_proc messages received, by kind")
        .labelNames("kind")
        .register(registry);
    MessageKind[] kinds = MessageKind.values();
    messagePoints = new CounterDataPoint[kinds.length];
    for (MessageKind kind : kinds) {
      messagePoints[kind.ordinal()] = messages.labelValues(kind.label());
    }
    GaugeWithCallback.builder()
        .name("meshtrace_extproc_active_streams")
        .help("ext_proc streams open now")
        .callback(callback -> callback.call(activeStreams.getAsInt()))
        .register(registry);
    streams = Counter.builder()
        .name("meshtrace_extproc_streams_total")
        .help("ext_proc streams accepted")
        .register(registry);
    refused = Counter.builder()
        .name("meshtrace_extproc_streams_refused_total")
        .help("ext_proc streams refused (concurrency limit reached or draining)")
        .register(registry);
    dropped = Counter.builder()
        .name("meshtrace_extproc_mutations_dropped_total")
        .help("Header mutations not sent because Envoy forbids them or the value was unsafe")
        .register(registry);
    expired = Counter.builder()
        .name("meshtrace_extproc_streams_expired_total")
        .help("ext_proc streams ended for going quiet: no first message within "
            + "limits.first-message-timeout (timeout=first-message), or nothing after a message "
            + "for limits.stream-idle-timeout (timeout=idle)")
        .labelNames("timeout")
        .register(registry);
    // Both series exist from the start, so a rate() over them never misses the first one.
    expired.labelValues(FIRST_MESSAGE_TIMEOUT);
    expired.labelValues(IDLE_TIMEOUT);
    unread = Counter.builder()
        .name("meshtrace_extproc_streams_unread_total")
        .help("ext_proc streams ended because their connection's peer left more than "
            + "limits.max-unsent-bytes-per-connection of responses unread")
        .register(registry);
    GaugeWithCallback.builder()
        .name("meshtrace_extproc_unsent_response_bytes")
        .help("Response bytes written and not yet taken by their peers, over all connections")
        .callback(callback -> callback.call(unsentBytes.getAsLong()))
        .register(registry);
    latency = Histogram.builder()
        .name("meshtrace_extproc_processing_seconds")
        .help("Time to process one request_headers message")
        .unit(Unit.SECONDS)
        .classicOnly()
        .classicUpperBounds(LATENCY_BOUNDS)
        .register(registry);
  }

  void verdict(Verdict verdict, Reason reason) {
    int slot = verdict.ordinal() * reasonCount + reason.ordinal();
    CounterDataPoint point = verdictPoints.get(slot);
    if (point == null) {
      // labelValues returns the same data point for the same labels, so a race is harmless.
      point = requests.labelValues(verdict.name().toLowerCase(Locale.ROOT), reason.code());
      verdictPoints.set(slot, point);
    }
    point.inc();
  }

  /** Rare outcomes: {@link #SKIPPED} or {@link #ERROR} with a reason code. */
  void outcome(String verdict, String reason) {
    requests.labelValues(verdict, reason).inc();
  }

  void message(MessageKind kind) {
    messagePoints[kind.ordinal()].inc();
  }

  void streamOpened() {
    streams.inc();
  }

  void streamRefused() {
    refused.inc();
  }

  /** @param timeout {@link #FIRST_MESSAGE_TIMEOUT} or {@link #IDLE_TIMEOUT} */
  void streamsExpired(String timeout, int count) {
    expired.labelValues(timeout).inc(count);
  }

  void streamUnread() {
    unread.inc();
  }

  double expiredCount(String timeout) {
    return expired.labelValues(timeout).get();
  }

  double unreadCount() {
    return unread.get();
  }

  long unsentResponseBytes() {
    return unsentBytes.getAsLong();
  }

  void mutationDropped() {
    dropped.inc();
  }

  void latencyNanos(long nanos) {
    latency.observe(nanos / 1e9);
  }

  /** Requests counted under {@code verdict}, all reasons together. */
  double verdictCount(Verdict verdict) {
    double total = 0;
    for (int i = 0; i < reasonCount; i++) {
      CounterDataPoint point = verdictPoints.get(verdict.ordinal() * reasonCount + i);
      if (point != null) {
        total += point.get();
      }
    }
    return total;
  }

  double messageCount(MessageKind kind) {
    return messagePoints[kind.ordinal()].get();
  }

  /** The count for one verdict and reason, 0 when never seen (reads, never creates, a series). */
  double requestCount(String verdict, String reason) {
    for (CounterSnapshot.CounterDataPointSnapshot point : requests.collect().getDataPoints()) {
      if (verdict.equals(point.getLabels().get("verdict"))
          && reason.equals(point.getLabels().get("reason"))) {
        return point.getValue();
      }
    }
    return 0;
  }

  /** The registry the admin server's {@code /metrics} exports (with JVM and build info). */
  PrometheusRegistry registry() {
    return registry;
  }

  /** Writes every metric in the Prometheus text format 0.0.4. */
  void writeText(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }
}
