package io.meshtrace.xds.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Counters and gauges of the control plane, rendered in the Prometheus text format:
 * <pre>
 * # TYPE meshtrace_xds_nacks_total counter
 * meshtrace_xds_nacks_total{type="listeners"} 1
 * </pre>
 */
public final class Metrics {

  private final Map<String, Map<String, AtomicLong>> counters = new ConcurrentHashMap<>();
  private final Map<String, String> help = new ConcurrentHashMap<>();
  private final Map<String, LongSupplier> gauges = new ConcurrentHashMap<>();

  /** Adds one to a counter; {@code labels} is {@code key="value"} text or empty. */
  public void increment(String name, String labels) {
    counters.computeIfAbsent(name, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(labels, k -> new AtomicLong()).incrementAndGet();
  }

  /** Current value of a counter (0 when never incremented). */
  public long value(String name, String labels) {
    Map<String, AtomicLong> m = counters.get(name);
    AtomicLong v = m == null ? null : m.get(labels);
    return v == null ? 0 : v.get();
  }

  /** Declares a counter's help text so it renders (as 0) before the first increment. */
  public void describe(String name, String text) {
    help.put(name, text);
    counters.computeIfAbsent(name, k -> new ConcurrentHashMap<>());
  }

  /** Registers a gauge read at render time. */
  public void gauge(String name, String text, LongSupplier value) {
    help.put(name, text);
    gauges.put(name, value);
  }

  /** The Prometheus text exposition of every metric. */
  public String render() {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Map<String, AtomicLong>> e : new TreeMap<>(counters).entrySet()) {
      String name = e.getKey();
      b.append("# HELP ").append(name).append(' ')
          .append(help.getOrDefault(name, name)).append('\n');
      b.append("# TYPE ").append(name).append(" counter\n");
      if (e.getValue().isEmpty()) {
        b.append(name).append(" 0\n");
      }
      for (Map.Entry<String, AtomicLong> s : new TreeMap<>(e.getValue()).entrySet()) {
        b.append(name);
        if (!s.getKey().isEmpty()) {
          b.append('{').append(s.getKey()).append('}');
        }
        b.append(' ').append(s.getValue().get()).append('\n');
      }
    }
    for (Map.Entry<String, LongSupplier> e : new TreeMap<>(gauges).entrySet()) {
      b.append("# HELP ").append(e.getKey()).append(' ').append(help.get(e.getKey()))
          .append('\n');
      b.append("# TYPE ").append(e.getKey()).append(" gauge\n");
      b.append(e.getKey()).append(' ').append(e.getValue().getAsLong()).append('\n');
    }
    return b.toString();
  }

  /** Escapes a label value. */
  public static String label(String key, String value) {
    return key + "=\"" + value.replace("\\", "\\\\").replace("\"", "\\\"")
        .replace("\n", "\\n") + "\"";
  }
}
