package io.meshtrace.check;

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
 *   <li><b>new root</b>: a root span that ran inside a span of another trace: the caller
 *       dropped the trace headers. Two shapes: a sidecar's outbound CLIENT span of service X
 *       that is a root while X's inbound SERVER span, in another trace, holds it in time (the
 *       application X did not forward the headers; Istio's shape), or a SERVER span of Y that
 *       is a root while a childless span of another service X holds it. The same
 *       {@code x-request-id} tag, when present, makes the match certain.</li>
 *   <li><b>split</b>: several traces that share one {@code x-request-id}.</li>
 * </ul>
 */
public final class TraceAnalysis {

  /** Clock slack when one span's time range must contain another's, in microseconds. */
  static final long SLACK_MICROS = 2_000;

  /** What kind of break. */
  public enum Kind {
    MISSING_PARENT,
    NEW_ROOT
  }

  /**
   * One break. {@code caller} is the span the request came through, when found.
   */
  public record Finding(Kind kind, ZipkinSpan span, ZipkinSpan caller, String callerService, String calleeService) {

    /** The hop, e.g. {@code productpage -> reviews}. */
    public String hop() {
      return callerService + " -> " + calleeService;
    }

    /**
     * One line for people: {@code productpage drops the trace headers: reviews span 'GET /'
     * (trace ..., id ...) began a new trace}.
     */
    public String summary() {
      return kind == Kind.NEW_ROOT
          ? callerService + " drops the trace headers: " + span.describe() + " began a new trace"
          : span.describe() + " names parent " + span.parentId() + ", missing from the trace: "
              + callerService + " forwards trace ids of a span it does not report";
    }
  }

  /** One x-request-id found in several traces. */
  public record Split(String requestId, List<String> traceIds) {}

  /** Every break found in the traces read. */
  public record Report(int traces, int spans, List<Finding> findings, List<Split> splits) {
    /** No break and no split. */
    public boolean clean() {
      return findings.isEmpty() && splits.isEmpty();
    }
  }

  private TraceAnalysis() {}

  /**
   * Analyses {@code traces}; with {@code service} non-null, keeps the breaks where that
   * service is the caller or the callee, and the splits of traces that contain it.
   */
  public static Report analyze(Collection<List<ZipkinSpan>> traces, String service) {
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
      Map<String, ZipkinSpan> firstChild = new HashMap<>();
      for (ZipkinSpan span : trace) {
        if (span.parentId() != null) {
          firstChild.putIfAbsent(span.parentId(), span);
        }
      }
      Set<String> ids = idsByTrace.get(trace.get(0).traceId());
      for (ZipkinSpan span : trace) {
        boolean root = span.parentId() == null;
        boolean orphan = !root && !ids.contains(span.parentId());
        if (!root && !orphan) {
          continue;
        }
        ZipkinSpan caller = findCaller(span, leaves);
        String callerService = caller != null ? caller.service()
            : span.callerHint() != null ? span.callerHint()
            : "an unknown caller";
        String calleeService = span.service();
        if (isOutgoing(span)) {
          ZipkinSpan child = firstChild.get(span.id());
          calleeService = span.remoteService() != null ? span.remoteService()
              : child != null ? child.service()
              : "(unknown service)";
        }
        if (orphan) {
          findings.add(new Finding(Kind.MISSING_PARENT, span, caller, callerService, calleeService));
        } else if (caller != null) {
          findings.add(new Finding(Kind.NEW_ROOT, span, caller, callerService, calleeService));
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
          && !service.equals(f.callerService()) && !service.equals(f.calleeService()));
      splits.removeIf(s -> s.traceIds().stream().noneMatch(id -> containsService(byTrace.get(id), service)));
    }
    return new Report(byTrace.size(), spanCount, List.copyOf(findings), List.copyOf(splits));
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

  static boolean isOutgoing(ZipkinSpan span) {
    return "CLIENT".equals(span.kind()) || "PRODUCER".equals(span.kind());
  }

  static boolean isIncoming(ZipkinSpan span) {
    return "SERVER".equals(span.kind()) || "CONSUMER".equals(span.kind());
  }

  /**
   * The span of another trace the request came through, or null: a childless span whose time
   * range holds this one's, of the same service (its inbound span) when this one is outgoing,
   * of another service when this one is incoming, or of any service with the same
   * x-request-id. The same x-request-id counts most, then the same service, then a CLIENT
   * span aimed at this service; the tightest range breaks ties.
   */
  static ZipkinSpan findCaller(ZipkinSpan span, List<ZipkinSpan> leaves) {
    String requestId = span.requestId();
    ZipkinSpan best = null;
    int bestScore = -1;
    for (ZipkinSpan candidate : leaves) {
      if (candidate.traceId().equals(span.traceId())) {
        continue;
      }
      boolean sameService = Objects.equals(candidate.localService(), span.localService());
      boolean sameRequest = requestId != null && requestId.equals(candidate.requestId());
      // An outgoing root continues its own service's inbound request; an incoming root is
      // called by another service. Anything else needs the x-request-id to tie it.
      boolean plausible = isOutgoing(span) ? sameService && isIncoming(candidate) : !sameService;
      if (!plausible && !sameRequest) {
        continue;
      }
      boolean contains = span.timestamp() > 0 && candidate.timestamp() > 0
          && candidate.timestamp() - SLACK_MICROS <= span.timestamp()
          && span.end() <= candidate.end() + SLACK_MICROS;
      if (!contains) {
        continue;
      }
      int score = 0;
      if (sameRequest) {
        score += 8;
      }
      if (sameService) {
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
