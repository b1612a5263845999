package io.meshtrace.xds.admin;

import io.meshtrace.check.TraceAnalysis;
import io.meshtrace.check.ZipkinSpan;
import io.meshtrace.check.ZipkinTraceSource;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The console's trace-breaks view: one trace from Zipkin, the propagation check
 * ({@link TraceAnalysis}) run on every trace of its time window, and the trace drawn as a
 * waterfall together with the pieces that broke off it, each piece under the span it ran in.
 *
 * <pre>
 * {"traceId": "...", "traces": 12, "spans": 40,
 *  "findings": [{"kind": "NEW_ROOT", "hop": "productpage -> reviews", "summary": "...", ...}],
 *  "rows": [{"traceId": "...", "id": "...", "service": "productpage", "name": "get /",
 *            "offsetMicros": 0, "durationMicros": 48000, "depth": 1,
 *            "dropsHeaders": true, "newTrace": false}, ...]}
 * </pre>
 */
final class TraceWaterfall {

  /** Traces read around the one asked for. */
  static final int WINDOW_LIMIT = 1000;
  /** Extra time read before and after the trace: clocks of hosts differ. */
  static final long WINDOW_SLACK_MILLIS = 30_000;

  private TraceWaterfall() {}

  static Map<String, Object> load(URI zipkin, String traceId)
      throws IOException, InterruptedException {
    ZipkinTraceSource source = new ZipkinTraceSource(zipkin, Duration.ofSeconds(10));
    List<ZipkinSpan> trace = source.trace(traceId);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("traceId", traceId);
    if (trace.isEmpty()) {
      out.put("found", false);
      out.put("error", "Zipkin has no trace " + traceId);
      return out;
    }
    long start = Long.MAX_VALUE;
    long end = 0;
    for (ZipkinSpan s : trace) {
      if (s.timestamp() > 0) {
        start = Math.min(start, s.timestamp());
        end = Math.max(end, s.end());
      }
    }
    Map<String, List<ZipkinSpan>> traces = new LinkedHashMap<>();
    String id = trace.get(0).traceId();
    traces.put(id, trace);
    if (end > 0) {
      long endMillis = end / 1000 + WINDOW_SLACK_MILLIS;
      Duration lookback = Duration.ofMillis((end - start) / 1000 + 2 * WINDOW_SLACK_MILLIS);
      for (List<ZipkinSpan> t : source.traces(null, lookback, endMillis, WINDOW_LIMIT)) {
        traces.putIfAbsent(t.get(0).traceId(), t);
      }
    }
    TraceAnalysis.Report report = TraceAnalysis.analyze(traces.values(), null);

    // The trace and every piece tied to it by a break, in either direction.
    Set<String> shown = new LinkedHashSet<>(List.of(id));
    for (boolean grew = true; grew; ) {
      grew = false;
      for (TraceAnalysis.Finding f : report.findings()) {
        if (f.caller() != null) {
          String a = f.caller().traceId();
          String b = f.span().traceId();
          grew |= shown.contains(a) && shown.add(b);
          grew |= shown.contains(b) && shown.add(a);
        }
      }
    }
    List<TraceAnalysis.Finding> findings = new ArrayList<>();
    for (TraceAnalysis.Finding f : report.findings()) {
      if (shown.contains(f.span().traceId())) {
        findings.add(f);
      }
    }
    out.put("found", true);
    out.put("traces", report.traces());
    out.put("spans", report.spans());
    out.put("findings", findings.stream().map(TraceWaterfall::finding).toList());
    out.put("rows", rows(shown, traces, findings));
    return out;
  }

  private static Map<String, Object> finding(TraceAnalysis.Finding f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", f.kind().name());
    m.put("hop", f.hop());
    m.put("summary", f.summary());
    m.put("traceId", f.span().traceId());
    m.put("spanId", f.span().id());
    m.put("callerTraceId", f.caller() == null ? null : f.caller().traceId());
    m.put("callerSpanId", f.caller() == null ? null : f.caller().id());
    return m;
  }

  /** Depth-first from the roots, children by start time; a broken-off root under its caller. */
  private static List<Map<String, Object>> rows(Set<String> shown,
      Map<String, List<ZipkinSpan>> traces, List<TraceAnalysis.Finding> findings) {
    Map<String, ZipkinSpan> byKey = new HashMap<>();
    long start = Long.MAX_VALUE;
    for (String t : shown) {
      for (ZipkinSpan s : traces.get(t)) {
        byKey.putIfAbsent(key(s.traceId(), s.id()), s);
        if (s.timestamp() > 0) {
          start = Math.min(start, s.timestamp());
        }
      }
    }
    Map<String, String> parent = new HashMap<>();
    Set<String> newTrace = new LinkedHashSet<>();
    Set<String> dropsHeaders = new LinkedHashSet<>();
    for (TraceAnalysis.Finding f : findings) {
      String k = key(f.span().traceId(), f.span().id());
      newTrace.add(k);
      if (f.caller() != null) {
        String c = key(f.caller().traceId(), f.caller().id());
        parent.put(k, c);
        dropsHeaders.add(c);
      }
    }
    Map<String, List<ZipkinSpan>> children = new HashMap<>();
    List<ZipkinSpan> roots = new ArrayList<>();
    for (Map.Entry<String, ZipkinSpan> e : byKey.entrySet()) {
      ZipkinSpan s = e.getValue();
      String p = parent.get(e.getKey());
      if (p == null && s.parentId() != null && byKey.containsKey(key(s.traceId(), s.parentId()))) {
        p = key(s.traceId(), s.parentId());
      }
      if (p == null || !byKey.containsKey(p)) {
        roots.add(s);
      } else {
        children.computeIfAbsent(p, x -> new ArrayList<>()).add(s);
      }
    }
    Comparator<ZipkinSpan> byStart = Comparator.comparingLong(ZipkinSpan::timestamp)
        .thenComparing(ZipkinSpan::id);
    roots.sort(byStart);
    children.values().forEach(l -> l.sort(byStart));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ZipkinSpan root : roots) {
      walk(root, 0, start, children, newTrace, dropsHeaders, rows, new LinkedHashSet<>());
    }
    return rows;
  }

  private static void walk(ZipkinSpan s, int depth, long start,
      Map<String, List<ZipkinSpan>> children, Set<String> newTrace, Set<String> dropsHeaders,
      List<Map<String, Object>> rows, Set<String> seen) {
    String k = key(s.traceId(), s.id());
    if (!seen.add(k)) {
      return; // a span listed twice, or a loop of parent ids: draw it once
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("traceId", s.traceId());
    row.put("id", s.id());
    row.put("parentId", s.parentId());
    row.put("service", s.service());
    row.put("name", s.name());
    row.put("kind", s.kind());
    row.put("offsetMicros", s.timestamp() > 0 ? s.timestamp() - start : 0);
    row.put("durationMicros", s.duration());
    row.put("depth", depth);
    row.put("newTrace", newTrace.contains(k));
    row.put("dropsHeaders", dropsHeaders.contains(k));
    rows.add(row);
    for (ZipkinSpan c : children.getOrDefault(k, List.of())) {
      walk(c, depth + 1, start, children, newTrace, dropsHeaders, rows, seen);
    }
  }

  private static String key(String traceId, String spanId) {
    return traceId + "/" + spanId;
  }
}
