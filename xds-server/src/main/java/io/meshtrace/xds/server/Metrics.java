package io.meshtrace.xds.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Counters and gauges of the control plane in one Prometheus registry
 * (prometheus-metrics-core), exported by the admin API's {@code /metrics}:
 * <pre>
 * # TYPE meshtrace_xds_nacks_total counter
 * meshtrace_xds_nacks_total{type="listeners"} 1.0
 * </pre>
 * A counter is declared with {@link #describe} and counted with {@link #increment}; its label
 * names are those of its first labelled increment ({@code label("type", "listeners")}), and
 * until then it exports one unlabelled 0 so that it shows before the first event.
 */
public final class Metrics {

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Map<String, String> help = new ConcurrentHashMap<>();
  private final Map<String, Family> counters = new ConcurrentHashMap<>();

  /** A registered counter and its label names. */
  private record Family(Counter counter, List<String> labelNames) {}

  /** The registry every metric is in (the admin API exports it). */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Adds one to a counter; {@code labels} is {@link #label} text (comma-joined) or empty. */
  public void increment(String name, String labels) {
    List<String> names = new ArrayList<>();
    List<String> values = new ArrayList<>();
    parse(labels, names, values);
    Family f = counters.compute(name, (n, existing) -> {
      if (existing != null && existing.labelNames().equals(names)) {
        return existing;
      }
      if (existing != null) {
        if (!existing.labelNames().isEmpty() || existing.counter().get() != 0) {
          throw new IllegalArgumentException(n + " has labels " + existing.labelNames()
              + ", not " + names);
        }
        // The described placeholder makes way for the labelled counter.
        registry.unregister(existing.counter());
      }
      return register(n, names);
    });
    if (names.isEmpty()) {
      f.counter().inc();
    } else {
      f.counter().labelValues(values.toArray(new String[0])).inc();
    }
  }

  /** Current value of a counter (0 when never incremented); reads without creating a series. */
  public long value(String name, String labels) {
    Family f = counters.get(name);
    if (f == null) {
      return 0;
    }
    List<String> names = new ArrayList<>();
    List<String> values = new ArrayList<>();
    parse(labels, names, values);
    for (CounterSnapshot.CounterDataPointSnapshot p : f.counter().collect().getDataPoints()) {
      boolean match = p.getLabels().size() == names.size();
      for (int i = 0; match && i < names.size(); i++) {
        match = values.get(i).equals(p.getLabels().get(names.get(i)));
      }
      if (match) {
        return (long) p.getValue();
      }
    }
    return 0;
  }

  /** Declares a counter's help text so it exports (as 0) before the first increment. */
  public void describe(String name, String text) {
    help.put(name, text);
    counters.computeIfAbsent(name, n -> register(n, List.of()));
  }

  /** Registers a gauge read at scrape time. */
  public void gauge(String name, String text, LongSupplier value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(text)
        .callback(callback -> callback.call(value.getAsLong()))
        .register(registry);
  }

  /** Every metric in the Prometheus text format 0.0.4. */
  public String render() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** One label as {@link #increment} takes it: {@code key="value"}, the value escaped. */
  public static String label(String key, String value) {
    return key + "=\"" + value.replace("\\", "\\\\").replace("\"", "\\\"")
        .replace("\n", "\\n") + "\"";
  }

  private Family register(String name, List<String> labelNames) {
    Counter counter = Counter.builder()
        .name(name)
        .help(help.getOrDefault(name, name))
        .labelNames(labelNames.toArray(new String[0]))
        .register(registry);
    return new Family(counter, List.copyOf(labelNames));
  }

  /** Reads {@code a="x",b="y"} (as {@link #label} writes it) into names and values. */
  private static void parse(String labels, List<String> names, List<String> values) {
    int i = 0;
    int n = labels.length();
    while (i < n) {
      int eq = labels.indexOf('=', i);
      if (eq <= i || eq + 1 >= n || labels.charAt(eq + 1) != '"') {
        throw new IllegalArgumentException("labels must be key=\"value\",...: " + labels);
      }
      names.add(labels.substring(i, eq));
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      while (j < n && labels.charAt(j) != '"') {
        char c = labels.charAt(j);
        if (c == '\\' && j + 1 < n) {
          char e = labels.charAt(++j);
          v.append(e == 'n' ? '\n' : e);
        } else {
          v.append(c);
        }
        j++;
      }
      if (j >= n) {
        throw new IllegalArgumentException("unterminated label value: " + labels);
      }
      values.add(v.toString());
      i = j + 1;
      if (i < n && labels.charAt(i) == ',') {
        i++;
      }
    }
  }
}
