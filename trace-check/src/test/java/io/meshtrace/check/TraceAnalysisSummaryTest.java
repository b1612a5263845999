package io.meshtrace.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceAnalysisSummaryTest {

  private static ZipkinSpan span(String trace, String id, String parent, String service,
      String kind, long ts, long duration, String remote) {
    return new ZipkinSpan(trace, id, parent, kind.toLowerCase() + " " + service, kind, ts,
        duration, service, remote, Map.of());
  }

  @Test
  void analyze_callerDropsHeaders_summaryNamesCallerAndNewTrace() {
    var a = java.util.List.of(
        span("aaaa", "a1", null, "gateway", "CLIENT", 1_000_000, 50_000, "productpage"),
        span("aaaa", "a2", "a1", "productpage", "SERVER", 1_001_000, 48_000, null),
        span("aaaa", "a3", "a2", "productpage", "CLIENT", 1_002_000, 40_000, "reviews"));
    var b = java.util.List.of(
        span("bbbb", "b1", null, "reviews", "SERVER", 1_003_000, 38_000, null));

    TraceAnalysis.Report report = TraceAnalysis.analyze(java.util.List.of(a, b), null);

    assertThat(report.findings()).hasSize(1);
    TraceAnalysis.Finding f = report.findings().get(0);
    assertThat(f.kind()).isEqualTo(TraceAnalysis.Kind.NEW_ROOT);
    assertThat(f.caller().id()).isEqualTo("a3");
    assertThat(f.hop()).isEqualTo("productpage -> reviews");
    assertThat(f.summary()).isEqualTo("productpage drops the trace headers: reviews span"
        + " 'server reviews' (trace bbbb, id b1) began a new trace");
  }

  @Test
  void isTraceId_lengthsAndHex() {
    assertThat(ZipkinTraceSource.isTraceId("80f198ee56343ba864fe8b2a57d3eff7")).isTrue();
    assertThat(ZipkinTraceSource.isTraceId("80f198ee56343ba8")).isTrue();
    assertThat(ZipkinTraceSource.isTraceId("80F198EE56343BA8")).isTrue();
    assertThat(ZipkinTraceSource.isTraceId("80f198ee56343ba")).isFalse();
    assertThat(ZipkinTraceSource.isTraceId("80f198ee56343bag")).isFalse();
    assertThat(ZipkinTraceSource.isTraceId("550e8400-e29b-41d4-a716-446655440000")).isFalse();
    assertThat(ZipkinTraceSource.isTraceId("")).isFalse();
    assertThat(ZipkinTraceSource.isTraceId(null)).isFalse();
  }
}
