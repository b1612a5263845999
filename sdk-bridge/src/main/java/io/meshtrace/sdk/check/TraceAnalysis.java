package io.meshtrace.sdk.check;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Finds where traces break in a set of Zipkin traces.
 *
 * <ul>
 *   <li><b>missing parent</b>: a span whose {@code parentId} is not in its trace. The caller
 *       passed trace ids of a span nobody reported.</li>
 *   <li><b>new root</b>: a root span that ran inside a span of another trace (its caller:
 *       same {@code x-request-id} tag, or a span that has no child in its own trace and whose
 *       time range contains the root's). The caller dropped the trace headers.</li>
 *   <li><b>split</b>: several traces that share one {@code x-request-id}.</li>
 * </ul>
 */
final class TraceAnalysis {

  /** Clock slack when one span's time range must contain another's, in microseconds. */
  static final long SLACK_MICROS = 2_000;

  enum Kind {
    MISSING_PARENT,
    NEW_ROOT
  }

  /**
   * One break. {@code caller} is the span the request came through, when found.
   */
  record Finding(Kind kind, ZipkinSpan span, ZipkinSpan caller, String callerService) {

    /** The hop, e.g. {@code productpage -> reviews}. */
    String hop() {
      return callerService + " -> " + span.service();
    }
  }

  record Split(String requestId, List<String> traceIds) {}

  record Report(int traces, int spans, List<Finding> findings, List<Split> splits) {
    boolean clean() {
      return findings.isEmpty() && splits.isEmpty();
    }
  }

  private TraceAnalysis() {}

  /**
   * Analyses {@code traces}; with {@code service} non-null, keeps the breaks where that
   * service is the caller or the callee, and the splits of traces that contain it.
   */
  static Report analyze(Collection<List<ZipkinSpan>> traces, String service) {
    Map<String, List<ZipkinSpan>> byTrace = new LinkedHashMap<>();
    int spanCount = 0;
    for (List<ZipkinSpan> trace : traces) {
      for (ZipkinSpan span : trace) {
        byTrace.computeIfAbsent(span.traceId(), k -> new ArrayList<>()).add(span);
        spanCount++;
      }
    }

    // Spans that have no child in their own trace: where a request left the trace.
    List<ZipkinSpan> leaves = new ArrayList<>();
    Map<String, Set<String>> idsByTrace = new HashMap<>();
    for (Map.Entry<String, List<ZipkinSpan>> trace : byTrace.entrySet()) {
      Set<String> ids = new HashSet<>();
      Set<String> parents = new HashSet<>();
      for (ZipkinSpan span : trace.getValue()) {
        ids.add(span.id());
        if (span.parentId() != null) {
          parents.add(span.parentId());
        }
      }
      idsByTrace.put(trace.getKey(), ids);
      for (ZipkinSpan span : trace.getValue()) {
        if (!parents.contains(span.id())) {
          leaves.add(span);
        }
      }
    }

    Map<String, Set<String>> tracesByRequestId = new LinkedHashMap<>();
    for (List<ZipkinSpan> trace : byTrace.values()) {
      for (ZipkinSpan span : trace) {
        String requestId = span.requestId();
        if (requestId != null) {
          tracesByRequestId.computeIfAbsent(requestId, k -> new LinkedHashSet<>()).add(span.traceId());
        }
      }
    }

    List<Finding> findings = new ArrayList<>();
    for (List<ZipkinSpan> trace : byTrace.values()) {
      Set<String> ids = idsByTrace.get(trace.get(0).traceId());
      for (ZipkinSpan span : trace) {
        boolean root = span.parentId() == null;
        boolean orphan = !root && !ids.contains(span.parentId());
        if (!root && !orphan) {
          continue;
        }
        if (root && span.id() != null && hasSharedTwin(trace, span)) {
          continue;
        }
        ZipkinSpan caller = findCaller(span, leaves);
        String callerService = caller != null ? caller.service()
            : span.remoteService() != null ? span.remoteService()
            : "an unknown caller";
        if (orphan) {
          findings.add(new Finding(Kind.MISSING_PARENT, span, caller, callerService));
        } else if (caller != null) {
          findings.add(new Finding(Kind.NEW_ROOT, span, caller, callerService));
        }
      }
    }

    List<Split> splits = new ArrayList<>();
    for (Map.Entry<String, Set<String>> entry : tracesByRequestId.entrySet()) {
      if (entry.getValue().size() > 1) {
        splits.add(new Split(entry.getKey(), List.copyOf(entry.getValue())));
      }
    }

    if (service != null) {
      findings.removeIf(f -> !service.equals(f.span().localService())
          && !service.equals(f.callerService()));
      splits.removeIf(s -> s.traceIds().stream().noneMatch(id -> containsService(byTrace.get(id), service)));
    }
    return new Report(byTrace.size(), spanCount, List.copyOf(findings), List.copyOf(splits));
  }

  /** Envoy's B3 "shared" spans: client and server halves report the same id. */
  private static boolean hasSharedTwin(List<ZipkinSpan> trace, ZipkinSpan span) {
    for (ZipkinSpan other : trace) {
      if (other != span && span.id().equals(other.id()) && other.parentId() != null) {
        return true;
      }
    }
    return false;
  }

  private static boolean containsService(List<ZipkinSpan> trace, String service) {
    if (trace == null) {
      return false;
    }
    for (ZipkinSpan span : trace) {
      if (service.equals(span.localService())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The span of another trace the request came through: same x-request-id first, then a
   * childless span of another service whose time range holds this one, CLIENT spans aimed at
   * this service first, the tightest range winning.
   */
  static ZipkinSpan findCaller(ZipkinSpan span, List<ZipkinSpan> leaves) {
    String requestId = span.requestId();
    ZipkinSpan best = null;
    int bestScore = -1;
    for (ZipkinSpan candidate : leaves) {
      if (candidate.traceId().equals(span.traceId())
          || Objects.equals(candidate.localService(), span.localService())) {
        continue;
      }
      boolean contains = span.timestamp() > 0 && candidate.timestamp() > 0
          && candidate.timestamp() - SLACK_MICROS <= span.timestamp()
          && span.end() <= candidate.end() + SLACK_MICROS;
      if (!contains) {
        continue;
      }
      int score = 0;
      if (requestId != null && requestId.equals(candidate.requestId())) {
        score += 4;
      }
      if ("CLIENT".equals(candidate.kind())) {
        score += 1;
        if (span.localService() != null && span.localService().equals(candidate.remoteService())) {
          score += 2;
        }
      }
      if (score > bestScore || (score == bestScore && candidate.duration() < best.duration())) {
        best = candidate;
        bestScore = score;
      }
    }
    return best;
  }
}
