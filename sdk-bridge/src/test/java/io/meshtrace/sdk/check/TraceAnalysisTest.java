package io.meshtrace.sdk.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.check.TraceAnalysis;
import io.meshtrace.check.ZipkinSpan;
import io.meshtrace.check.ZipkinTraceSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceAnalysisTest {

  // Times in microseconds. A request through gateway -> productpage -> reviews.
  static final String CLEAN = "[[" + String.join(",",
      span("aaaa", "a1", null, "gateway", "CLIENT", 1_000_000, 50_000, "productpage", "rid-1"),
      span("aaaa", "a2", "a1", "productpage", "SERVER", 1_001_000, 48_000, null, "rid-1"),
      span("aaaa", "a3", "a2", "productpage", "CLIENT", 1_002_000, 40_000, "reviews", "rid-1"),
      span("aaaa", "a4", "a3", "reviews", "SERVER", 1_003_000, 38_000, null, "rid-1")) + "]]";

  @Test
  void analyze_linkedTrace_noFinding() throws Exception {
    TraceAnalysis.Report report = TraceAnalysis.analyze(ZipkinTraceSource.parse(CLEAN), null);
    assertThat(report.traces()).isEqualTo(1);
    assertThat(report.spans()).isEqualTo(4);
    assertThat(report.findings()).isEmpty();
    assertThat(report.splits()).isEmpty();
  }

  @Test
  void analyze_callerDropsHeaders_newRootAttributedToCallerAndSplitByRequestId() throws Exception {
    String body = "[[" + String.join(",",
        span("aaaa", "a1", null, "gateway", "CLIENT", 1_000_000, 50_000, "productpage", "rid-2"),
        span("aaaa", "a2", "a1", "productpage", "SERVER", 1_001_000, 48_000, null, "rid-2"),
        span("aaaa", "a3", "a2", "productpage", "CLIENT", 1_002_000, 40_000, "reviews", "rid-2"))
        + "],[" + String.join(",",
        span("bbbb", "b1", null, "reviews", "SERVER", 1_003_000, 38_000, null, "rid-2"),
        span("bbbb", "b2", "b1", "reviews", "CLIENT", 1_004_000, 10_000, "ratings", "rid-2")) + "]]";

    TraceAnalysis.Report report = TraceAnalysis.analyze(ZipkinTraceSource.parse(body), null);

    assertThat(report.findings()).hasSize(1);
    TraceAnalysis.Finding finding = report.findings().get(0);
    assertThat(finding.kind()).isEqualTo(TraceAnalysis.Kind.NEW_ROOT);
    assertThat(finding.hop()).isEqualTo("productpage -> reviews");
    assertThat(finding.span().id()).isEqualTo("b1");
    assertThat(finding.caller().id()).isEqualTo("a3");
    assertThat(report.splits()).containsExactly(new TraceAnalysis.Split("rid-2", List.of("aaaa", "bbbb")));

    String printed = print(report, "productpage");
    assertThat(printed).contains(
        "BREAK productpage -> reviews: spans from productpage arrive as new roots: productpage drops the trace headers (1 span)",
        "  reviews span 'b1-name' (trace bbbb, id b1) began a new trace during productpage span 'a3-name' (trace aaaa, id a3)",
        "SPLIT x-request-id rid-2 is in 2 traces: aaaa, bbbb");
  }

  @Test
  void analyze_rootOutsideAnyOtherSpan_isAnEntryNotABreak() throws Exception {
    String body = CLEAN.substring(0, CLEAN.length() - 1) + ",["
        + span("cccc", "c1", null, "gateway", "CLIENT", 9_000_000, 5_000, "productpage", "rid-3") + "]]";
    TraceAnalysis.Report report = TraceAnalysis.analyze(ZipkinTraceSource.parse(body), null);
    assertThat(report.traces()).isEqualTo(2);
    assertThat(report.findings()).isEmpty();
  }

  @Test
  void analyze_parentMissing_reportedWithDownstreamClusterAsHop() throws Exception {
    String orphan = "{\"traceId\":\"dddd\",\"id\":\"d2\",\"parentId\":\"d1\",\"name\":\"GET /ratings\","
        + "\"kind\":\"SERVER\",\"timestamp\":5000000,\"duration\":1000,"
        + "\"localEndpoint\":{\"serviceName\":\"ratings\"},\"tags\":{\"downstream_cluster\":\"reviews-v2\"}}";
    TraceAnalysis.Report report = TraceAnalysis.analyze(ZipkinTraceSource.parse("[[" + orphan + "]]"), "ratings");

    assertThat(report.findings()).hasSize(1);
    assertThat(report.findings().get(0).kind()).isEqualTo(TraceAnalysis.Kind.MISSING_PARENT);
    assertThat(report.findings().get(0).hop()).isEqualTo("reviews-v2 -> ratings");
    assertThat(print(report, "ratings")).contains(
        "MISSING-PARENT reviews-v2 -> ratings", "ratings span 'GET /ratings' (trace dddd, id d2) has parent d1, missing from the trace");
  }

  @Test
  void analyze_sidecarOutboundSpanIsNewRoot_attributedToTheServiceThatDroppedHeaders() throws Exception {
    // Istio's shape: productpage's app drops the headers, so its outbound sidecar span starts a
    // new trace while productpage's inbound span (in the first trace) is still open.
    String body = "[[" + String.join(",",
        span("aaaa", "a1", null, "gateway", "CLIENT", 1_000_000, 50_000, "productpage", null),
        span("aaaa", "a2", "a1", "productpage", "SERVER", 1_001_000, 48_000, null, null))
        + "],[" + String.join(",",
        span("bbbb", "b1", null, "productpage", "CLIENT", 1_002_000, 40_000, null, null),
        span("bbbb", "b2", "b1", "reviews", "SERVER", 1_003_000, 38_000, null, null)) + "]]";

    TraceAnalysis.Report report = TraceAnalysis.analyze(ZipkinTraceSource.parse(body), "reviews");

    assertThat(report.findings()).hasSize(1);
    TraceAnalysis.Finding finding = report.findings().get(0);
    assertThat(finding.kind()).isEqualTo(TraceAnalysis.Kind.NEW_ROOT);
    assertThat(finding.hop()).isEqualTo("productpage -> reviews");
    assertThat(finding.caller().id()).isEqualTo("a2");
    assertThat(print(report, "reviews")).contains(
        "BREAK productpage -> reviews: spans from productpage arrive as new roots: productpage drops the trace headers");
  }

  @Test
  void analyze_clientRootOfEntryService_notABreak() throws Exception {
    // An edge client's root span is an entry point, even while another service is busy.
    String body = "[[" + span("aaaa", "a1", null, "batch", "SERVER", 1_000_000, 500_000, null, null) + "],["
        + span("bbbb", "b1", null, "edge", "CLIENT", 1_100_000, 10_000, "gateway", null) + "]]";
    TraceAnalysis.Report report = TraceAnalysis.analyze(ZipkinTraceSource.parse(body), null);
    assertThat(report.findings()).isEmpty();
  }

  @Test
  void analyze_serviceFilter_keepsOnlyBreaksTouchingTheService() throws Exception {
    String body = "[[" + span("ffff", "f1", null, "a", "CLIENT", 1_000_000, 50_000, "b", null) + "],["
        + span("gggg", "g1", null, "b", "SERVER", 1_001_000, 10_000, null, null) + "]]";
    assertThat(TraceAnalysis.analyze(ZipkinTraceSource.parse(body), "b").findings()).hasSize(1);
    assertThat(TraceAnalysis.analyze(ZipkinTraceSource.parse(body), "a").findings()).hasSize(1);
    assertThat(TraceAnalysis.analyze(ZipkinTraceSource.parse(body), "c").findings()).isEmpty();
  }

  @Test
  void parse_notZipkinTraces_ioExceptionNamingWhatWasExpected() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ZipkinTraceSource.parse("{\"status\":\"UP\"}"))
        .isInstanceOf(java.io.IOException.class).hasMessageStartingWith("expected a JSON array of traces");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ZipkinTraceSource.parse("[{\"traceId\":\"a\"}]"))
        .isInstanceOf(java.io.IOException.class).hasMessageStartingWith("expected each trace to be a JSON array");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ZipkinTraceSource.parse("[[{"))
        .isInstanceOf(java.io.IOException.class);
  }

  @Test
  void parse_spanWithoutIds_skipped() throws Exception {
    assertThat(ZipkinTraceSource.parse("[[{\"name\":\"x\"}],[]]")).isEmpty();
  }

  @Test
  void run_badArguments_exit2NamingTheOption() {
    assertThat(run("check-propagation", "--service", "x")).startsWith("2 ")
        .contains("check-propagation: --zipkin is required");
    assertThat(run("check-propagation", "--zipkin", "http://127.0.0.1:9", "--lookback", "soon"))
        .startsWith("2 ").contains("--lookback=soon: must be");
    assertThat(run("check-propagation", "--zipkin", "http://127.0.0.1:9", "--limit", "0"))
        .startsWith("2 ").contains("--limit=0: must be between 1 and 10000");
    assertThat(run("check-propagation", "--zipkin", "http://127.0.0.1:9", "--colour", "red"))
        .startsWith("2 ").contains("Unknown options: '--colour', 'red'");
  }

  @Test
  void run_helpAndVersion_exit0() {
    assertThat(run("check-propagation", "--help")).startsWith("0 usage: check-propagation");
    assertThat(run("--version")).matches("0 check-propagation \\S+ \\(Java .+\\)\\R");
  }

  @Test
  void run_zipkinUnreachable_exit1() throws Exception {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = socket.getLocalPort();
    }
    assertThat(run("check-propagation", "--zipkin", "http://127.0.0.1:" + port))
        .startsWith("1 check-propagation: cannot read traces from http://127.0.0.1:" + port);
  }

  private static String run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = PropagationCheck.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    return exit + " " + out.toString(StandardCharsets.UTF_8);
  }

  private static String print(TraceAnalysis.Report report, String service) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PropagationCheck.print(report, "http://zipkin:9411", service, "15m", new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  static String span(String traceId, String id, String parentId, String service, String kind,
      long timestamp, long duration, String remoteService, String requestId) {
    StringBuilder json = new StringBuilder("{\"traceId\":\"").append(traceId).append("\",\"id\":\"").append(id).append('"');
    if (parentId != null) {
      json.append(",\"parentId\":\"").append(parentId).append('"');
    }
    json.append(",\"name\":\"").append(id).append("-name\",\"kind\":\"").append(kind).append('"')
        .append(",\"timestamp\":").append(timestamp).append(",\"duration\":").append(duration)
        .append(",\"localEndpoint\":{\"serviceName\":\"").append(service).append("\"}");
    if (remoteService != null) {
      json.append(",\"remoteEndpoint\":{\"serviceName\":\"").append(remoteService).append("\"}");
    }
    if (requestId != null) {
      json.append(",\"tags\":{\"guid:x-request-id\":\"").append(requestId).append("\"}");
    }
    return json.append('}').toString();
  }
}
