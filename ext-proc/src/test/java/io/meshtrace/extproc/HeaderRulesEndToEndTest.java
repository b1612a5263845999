package io.meshtrace.extproc;

import static io.meshtrace.context.Verdict.PASS;
import static io.meshtrace.context.Verdict.REGENERATE;
import static io.meshtrace.context.Verdict.REPAIR;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.meshtrace.context.Verdict;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import io.meshtrace.extproc.config.HeaderNames;
import io.opentelemetry.api.trace.SpanContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of docs/header-rules.md, end to end: an ext_proc client sends Envoy-shaped request
 * headers (lower-case keys, pseudo-headers) to the service on 127.0.0.1, the response is
 * applied as Envoy applies it, and the result is read back by OpenTelemetry's W3C and B3
 * propagators. Every row runs twice: values in {@code raw_value} (current Envoys) and in
 * {@code value} (Envoys with {@code send_header_raw_value} off, or older); the answer must use
 * the same field and never both. Default policy: w3c + b3multi out, b3multi wins, x-request-id
 * added.
 */
class HeaderRulesEndToEndTest {

  static final String TID = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String SID = "00f067aa0ba902b7";
  static final String TP = "00-" + TID + "-" + SID + "-01";
  static final String B3_TID = "80f198ee56343ba864fe8b2a57d3eff7";
  static final String B3_SID = "e457b5a2e4d86bd1";
  static final String TID16 = "a3ce929d0e0e4736";
  static final String RID = "f81d4fae-7dec-41d0-a765-00a0c91e6bf6";
  static final String ZERO32 = "00000000000000000000000000000000";

  private static final Pattern TRACEPARENT = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
  private static final Pattern B3_TRACE_ID = Pattern.compile("[0-9a-f]{16}|[0-9a-f]{32}");
  private static final Pattern B3_SPAN_ID = Pattern.compile("[0-9a-f]{16}");
  private static final Pattern B3_SINGLE =
      Pattern.compile("(([0-9a-f]{16}|[0-9a-f]{32})-[0-9a-f]{16}(-[01d](-[0-9a-f]{16})?)?|[01d])");
  private static final Pattern UUID_V4 =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  private static final Pattern REASON_CODE = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

  private static ExtProcServer server;
  private static ManagedChannel channel;
  private static RawExtProcClient client;

  @BeforeAll
  static void start() throws Exception {
    ExtProcConfig config = ExtProcConfigParser.fromArgs("--address", "127.0.0.1", "--port", "0");
    server = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build();
    client = new RawExtProcClient(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow();
  }

  record Row(String name, String[] headers, Set<Verdict> verdicts, Consumer<Outcome> check) {
    @Override
    public String toString() {
      return name;
    }
  }

  record Outcome(RepairedRequest out, ProcessingResponse response, Verdict verdict) {
    HeaderMutation mutation() {
      return response.getRequestHeaders().getResponse().getHeaderMutation();
    }

    boolean touches(String name) {
      return mutation().getRemoveHeadersList().contains(name)
          || mutation().getSetHeadersList().stream().anyMatch(h -> h.getHeader().getKey().equals(name));
    }

    String traceId() {
      SpanContext w3c = out.w3c();
      return w3c.isValid() ? w3c.getTraceId() : out.b3().getTraceId();
    }
  }

  static Row row(String name, String[] headers, Set<Verdict> verdicts, Consumer<Outcome> check) {
    return new Row(name, headers, verdicts, check);
  }

  static String[] h(String... pairs) {
    return pairs;
  }

  static Set<Verdict> is(Verdict first, Verdict... rest) {
    return EnumSet.of(first, rest);
  }

  /** Complete and consistent W3C + B3 + x-request-id, plus extra pairs. */
  static String[] complete(String... extra) {
    String[] base = {"traceparent", TP, "x-b3-traceid", TID, "x-b3-spanid", SID, "x-b3-sampled", "1",
        "x-request-id", RID};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return all;
  }

  static Consumer<Outcome> untouched() {
    return o -> assertThat(o.response()).isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
  }

  static Consumer<Outcome> keepsTraceId(String traceId) {
    return o -> assertThat(o.traceId()).isEqualTo(traceId);
  }

  static Consumer<Outcome> newTraceId(String old) {
    return o -> {
      assertThat(o.out().w3c().isValid()).as("a new W3C context").isTrue();
      assertThat(o.traceId()).isNotEqualToIgnoringCase(old);
    };
  }

  /** x-b3-sampled, when present, is 0 or 1 and agrees with the W3C sampled flag. */
  static Consumer<Outcome> decisionAgrees() {
    return o -> {
      List<String> sampled = o.out().all("x-b3-sampled");
      assertThat(sampled).hasSizeLessThanOrEqualTo(1);
      if (!sampled.isEmpty()) {
        assertThat(sampled.get(0)).isEqualTo(o.out().w3c().isSampled() ? "1" : "0");
      }
    };
  }

  static Consumer<Outcome> lacks(String name) {
    return o -> assertThat(o.out().all(name)).as(name).isEmpty();
  }

  static Consumer<Outcome> value(String name, String expected) {
    return o -> assertThat(o.out().all(name)).as(name).containsExactly(expected);
  }

  @SafeVarargs
  static Consumer<Outcome> all(Consumer<Outcome>... checks) {
    return o -> {
      for (Consumer<Outcome> check : checks) {
        check.accept(o);
      }
    };
  }

  static String tracestate(int members) {
    StringBuilder state = new StringBuilder();
    for (int i = 0; i < members; i++) {
      if (i > 0) {
        state.append(',');
      }
      state.append("k").append(i).append("=v").append(i);
    }
    return state.toString();
  }

  static Stream<Row> rows() {
    // 32 members, about 790 chars: one member over 128 chars, then 30 of 19 chars each.
    String longMember = "big=" + "x".repeat(200);
    StringBuilder members = new StringBuilder("a=1");
    for (int i = 0; i < 30; i++) {
      members.append(",n").append(i < 10 ? "0" + i : i).append('=').append("v".repeat(15));
    }
    String shortMembers = members.toString();
    String longState = "a=1," + longMember + shortMembers.substring(3);
    return Stream.of(
        // ---- W3C traceparent / tracestate
        row("w3c valid with b3 and x-request-id passes untouched", complete(), is(PASS), untouched()),
        row("w3c valid alone keeps its ids", h("traceparent", TP, "x-request-id", RID), is(PASS, REPAIR),
            all(keepsTraceId(TID), o -> assertThat(o.out().w3c().getSpanId()).isEqualTo(SID),
                value("traceparent", TP))),
        row("traceparent with spaces and tabs is trimmed",
            h("traceparent", " \t" + TP + " ", "x-request-id", RID), is(REPAIR),
            all(value("traceparent", TP), keepsTraceId(TID))),
        row("traceparent upper-case regenerates and drops tracestate",
            h("traceparent", TP.toUpperCase(), "tracestate", "congo=t61rcWkgMzE", "x-request-id", RID),
            is(REGENERATE), all(newTraceId(TID), lacks("tracestate"))),
        row("traceparent too short regenerates",
            h("traceparent", "00-" + TID + "-" + SID.substring(1) + "-01", "x-request-id", RID),
            is(REGENERATE), newTraceId(TID)),
        row("traceparent non-hex regenerates",
            h("traceparent", "00-" + "g" + TID.substring(1) + "-" + SID + "-01", "x-request-id", RID),
            is(REGENERATE), newTraceId(TID)),
        row("traceparent all-zero trace id regenerates",
            h("traceparent", "00-" + ZERO32 + "-" + SID + "-01", "x-request-id", RID),
            is(REGENERATE), newTraceId(ZERO32)),
        row("traceparent all-zero parent id regenerates and drops tracestate",
            h("traceparent", "00-" + TID + "-0000000000000000-01", "tracestate", "congo=t61rcWkgMzE",
                "x-request-id", RID),
            is(REGENERATE), all(newTraceId(TID), lacks("tracestate"))),
        row("traceparent version ff regenerates",
            h("traceparent", "ff-" + TID + "-" + SID + "-01", "x-request-id", RID), is(REGENERATE),
            newTraceId(TID)),
        row("traceparent future version is re-emitted as 00",
            h("traceparent", "cc-" + TID + "-" + SID + "-01-what-the-future-will-be-like",
                "x-request-id", RID), is(REPAIR),
            all(value("traceparent", TP), keepsTraceId(TID))),
        row("traceparent future version at exactly 55 chars is re-emitted as 00",
            h("traceparent", "cc-" + TID + "-" + SID + "-09", "x-request-id", RID), is(REPAIR),
            all(value("traceparent", TP), keepsTraceId(TID))),
        row("two traceparent headers regenerate",
            h("traceparent", TP, "traceparent", "00-" + B3_TID + "-" + B3_SID + "-01", "x-request-id", RID),
            is(REGENERATE), all(newTraceId(TID),
                o -> assertThat(o.out().all("traceparent")).hasSize(1),
                o -> assertThat(o.traceId()).isNotEqualTo(B3_TID))),
        row("traceparent flags keep sampled and random bits, clear the rest",
            h("traceparent", "00-" + TID + "-" + SID + "-ff", "x-request-id", RID), is(REPAIR),
            all(keepsTraceId(TID), o -> assertThat(o.out().first("traceparent")).endsWith("-03"))),
        row("traceparent flags 03 are kept as received",
            h("traceparent", "00-" + TID + "-" + SID + "-03", "x-request-id", RID), is(PASS, REPAIR),
            all(keepsTraceId(TID), value("traceparent", "00-" + TID + "-" + SID + "-03"))),
        row("tracestate without traceparent is dropped",
            h("tracestate", "congo=t61rcWkgMzE", "x-request-id", RID), is(REPAIR, REGENERATE),
            lacks("tracestate")),
        row("several tracestate headers are joined in order",
            complete("tracestate", "congo=t61rcWkgMzE", "tracestate", "rojo=00f067aa0ba902b7"),
            is(REPAIR),
            all(value("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"), value("traceparent", TP))),
        row("tracestate with 33 members is dropped, traceparent kept",
            complete("tracestate", tracestate(33)), is(REPAIR),
            all(lacks("tracestate"), value("traceparent", TP))),
        row("tracestate with a member breaking the grammar is dropped",
            complete("tracestate", "congo=t61rcWkgMzE,Bad Key=1"), is(REPAIR),
            all(lacks("tracestate"), value("traceparent", TP))),
        row("tracestate over the limit loses long members first, then from the right",
            complete("tracestate", longState), is(REPAIR),
            all(value("traceparent", TP), o -> {
              String kept = o.out().first("tracestate");
              assertThat(kept).isNotNull();
              assertThat(kept.length()).isLessThanOrEqualTo(512);
              assertThat(kept).doesNotContain("big=").startsWith("a=1,n00=");
              assertThat(shortMembers).startsWith(kept);
              assertThat(shortMembers.charAt(kept.length())).as("whole members only").isEqualTo(',');
            })),
        row("tracestate unchanged when traceparent unchanged",
            complete("tracestate", "congo=t61rcWkgMzE"), is(PASS), untouched()),

        // ---- B3 multi
        row("b3 multi valid alone keeps its ids",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-sampled", "1", "x-request-id", RID),
            is(PASS, REPAIR),
            all(keepsTraceId(B3_TID), value("x-b3-traceid", B3_TID), value("x-b3-spanid", B3_SID))),
        row("b3 trace id without span id keeps the trace id and adds a span id",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR),
            all(keepsTraceId(B3_TID), value("x-b3-traceid", B3_TID),
                o -> assertThat(o.out().b3().getTraceId()).isEqualTo(B3_TID),
                o -> assertThat(o.out().first("x-b3-spanid")).matches(B3_SPAN_ID))),
        row("b3 invalid span id is replaced, trace id kept",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", "xyz", "x-request-id", RID), is(REPAIR),
            all(keepsTraceId(B3_TID), o -> assertThat(o.out().first("x-b3-spanid")).matches(B3_SPAN_ID))),
        row("b3 span id without trace id regenerates",
            h("x-b3-spanid", B3_SID, "x-request-id", RID), is(REGENERATE),
            o -> assertThat(o.out().b3().isValid()).isTrue()),
        row("b3 invalid trace id regenerates",
            h("x-b3-traceid", "not-a-trace-id", "x-b3-spanid", B3_SID, "x-request-id", RID),
            is(REGENERATE), all(newTraceId(B3_TID), o -> assertThat(o.out().b3().isValid()).isTrue())),
        row("b3 all-zero trace id regenerates",
            h("x-b3-traceid", ZERO32, "x-b3-spanid", B3_SID, "x-request-id", RID), is(REGENERATE),
            newTraceId(ZERO32)),
        row("b3 16-hex trace id stays 16 in b3 and is padded in w3c",
            h("x-b3-traceid", TID16, "x-request-id", RID), is(REPAIR),
            all(o -> assertThat(o.out().first("x-b3-traceid")).isEqualTo(TID16),
                o -> assertThat(o.out().w3c().getTraceId()).isEqualTo("0000000000000000" + TID16))),
        row("b3 sampled true becomes 1",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-sampled", "true", "x-request-id", RID),
            is(REPAIR), all(value("x-b3-sampled", "1"), keepsTraceId(B3_TID),
                o -> assertThat(o.out().w3c().isSampled()).isTrue())),
        row("b3 sampled false becomes 0",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-sampled", "false", "x-request-id", RID),
            is(REPAIR), all(value("x-b3-sampled", "0"), keepsTraceId(B3_TID),
                o -> assertThat(o.out().w3c().isSampled()).isFalse())),
        // The garbage decision is dropped; as W3C is written too, the gateway decides
        // (repair.new-trace-sampling-percent) and every format carries that one decision.
        row("b3 sampled garbage is replaced by one decision in every format",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-sampled", "maybe", "x-request-id", RID),
            is(REPAIR), all(decisionAgrees(), keepsTraceId(B3_TID))),
        row("b3 sampled empty is replaced by one decision in every format",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-sampled", "", "x-request-id", RID),
            is(REPAIR), all(decisionAgrees(), keepsTraceId(B3_TID))),
        row("b3 flags 1 is debug, sampled, without x-b3-sampled",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-flags", "1", "x-b3-sampled", "1",
                "x-request-id", RID), is(REPAIR),
            all(value("x-b3-flags", "1"), lacks("x-b3-sampled"), keepsTraceId(B3_TID),
                o -> assertThat(o.out().w3c().isSampled()).isTrue())),
        row("b3 parent span id '-' is removed",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-parentspanid", "-", "x-request-id", RID),
            is(REPAIR), all(lacks("x-b3-parentspanid"), keepsTraceId(B3_TID))),
        row("b3 parent span id empty is removed",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-parentspanid", "", "x-request-id", RID),
            is(REPAIR), all(lacks("x-b3-parentspanid"), keepsTraceId(B3_TID))),
        row("b3 parent span id invalid is removed",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-parentspanid", "12345",
                "x-request-id", RID), is(REPAIR), all(lacks("x-b3-parentspanid"), keepsTraceId(B3_TID))),
        row("b3 decision only keeps the decision in every format",
            h("x-b3-sampled", "0", "x-request-id", RID), is(REPAIR, REGENERATE, PASS), o -> {
              if (o.out().w3c().isValid()) {
                assertThat(o.out().w3c().isSampled()).isFalse();
              }
              assertThat(o.out().all("x-b3-sampled")).containsExactly("0");
            }),

        // ---- B3 single
        row("b3 single valid alone keeps its ids",
            h("b3", B3_TID + "-" + B3_SID + "-1", "x-request-id", RID), is(PASS, REPAIR),
            all(keepsTraceId(B3_TID), o -> assertThat(o.out().b3().getSpanId()).isEqualTo(B3_SID))),
        row("b3 single holding a UUID is invalid and regenerates",
            h("b3", RID, "x-request-id", RID), is(REGENERATE),
            o -> assertThat(o.out().b3().isValid()).isTrue()),
        row("b3 single wins over valid multi headers",
            h("b3", B3_TID + "-" + B3_SID + "-1", "x-b3-traceid", TID, "x-b3-spanid", SID,
                "x-request-id", RID), is(REPAIR),
            all(keepsTraceId(B3_TID), value("x-b3-traceid", B3_TID))),
        row("b3 single invalid with valid multi headers is dropped",
            h("b3", "garbage", "x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-request-id", RID),
            is(REPAIR), all(lacks("b3"), keepsTraceId(B3_TID), value("x-b3-traceid", B3_TID))),
        row("b3 single decision only keeps the decision",
            h("b3", "0", "x-request-id", RID), is(REPAIR, REGENERATE, PASS), o -> {
              if (o.out().w3c().isValid()) {
                assertThat(o.out().w3c().isSampled()).isFalse();
              }
              if (o.out().b3().isValid()) {
                assertThat(o.out().b3().isSampled()).isFalse();
              }
            }),

        // ---- several formats
        row("w3c and b3 disagree: b3multi wins by default",
            h("traceparent", TP, "x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-request-id", RID),
            is(REPAIR), all(o -> assertThat(o.out().w3c().getTraceId()).isEqualTo(B3_TID),
                o -> assertThat(o.out().b3().getTraceId()).isEqualTo(B3_TID))),

        // ---- no trace headers
        row("no trace headers start a new trace in w3c and b3multi",
            h("x-request-id", RID), is(REGENERATE),
            o -> {
              assertThat(o.out().w3c().isValid()).isTrue();
              assertThat(o.out().b3().isValid()).isTrue();
            }),

        // ---- x-request-id and x-ot-span-context
        row("x-request-id absent is added as a UUID v4",
            h("traceparent", TP, "x-b3-traceid", TID, "x-b3-spanid", SID, "x-b3-sampled", "1"),
            is(REPAIR), all(o -> assertThat(o.out().first("x-request-id")).matches(UUID_V4),
                keepsTraceId(TID), value("traceparent", TP))),
        row("x-request-id present is never changed, even when not a UUID",
            h("traceparent", TP, "x-b3-traceid", TID, "x-b3-spanid", SID, "x-b3-sampled", "1",
                "x-request-id", "abc"), is(PASS), untouched()),
        row("x-ot-span-context passes through untouched",
            complete("x-ot-span-context", "0000000000000001;0000000000000002;0000000000000003;cs"),
            is(PASS), untouched()));
  }

  /** Every row once per field the values can come in. */
  static Stream<Arguments> rowsInBothFields() {
    return rows().flatMap(row ->
        Stream.of(HeaderValueField.values()).map(field -> Arguments.of(row, field)));
  }

  static Stream<Arguments> policyRowsInBothFields() {
    return policyRows().flatMap(row ->
        Stream.of(HeaderValueField.values()).map(field -> Arguments.of(row, field)));
  }

  /** Rows whose policy differs from the default: the flags the service is started with. */
  record PolicyRow(String[] flags, Row row) {
    @Override
    public String toString() {
      return row.name() + " " + String.join(" ", flags);
    }
  }

  static PolicyRow policy(String flags, Row row) {
    return new PolicyRow(flags.split(" "), row);
  }

  static Stream<PolicyRow> policyRows() {
    return Stream.of(
        policy("--repair.winner w3c", row("w3c and b3 disagree: w3c wins when configured",
            h("traceparent", TP, "x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-request-id", RID),
            is(REPAIR), all(o -> assertThat(o.out().w3c().getTraceId()).isEqualTo(TID),
                o -> assertThat(o.out().b3().getTraceId()).isEqualTo(TID), value("traceparent", TP)))),
        policy("--repair.output-formats b3single", row("output b3single only writes the single header",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR),
            all(lacks("traceparent"), o -> {
              assertThat(o.out().first("b3")).matches(B3_SINGLE).startsWith(B3_TID + "-");
              assertThat(o.out().b3().getTraceId()).isEqualTo(B3_TID);
            }))),
        policy("--repair.output-formats w3c", row("output w3c only writes traceparent",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR),
            all(lacks("b3"), o -> assertThat(o.out().w3c().getTraceId()).isEqualTo(B3_TID)))),
        policy("--repair.output-formats w3c,b3multi,b3single", row("all three formats agree",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR), o -> {
              assertThat(o.out().first("b3")).matches(B3_SINGLE).startsWith(B3_TID + "-");
              assertThat(o.out().w3c().getTraceId()).isEqualTo(B3_TID);
              assertThat(o.out().first("x-b3-traceid")).isEqualTo(B3_TID);
              assertThat(o.out().first("b3")).contains("-" + o.out().w3c().getSpanId());
            })),
        policy("--repair.start-trace-when-absent false", row("no trace headers left to Envoy when configured",
            h("x-request-id", RID), is(PASS), untouched())),
        policy("--repair.add-request-id false", row("x-request-id not added when configured off",
            h("traceparent", TP, "x-b3-traceid", TID, "x-b3-spanid", SID, "x-b3-sampled", "1"),
            is(PASS), untouched())),
        policy("--repair.output-formats b3multi", row("b3 sampled garbage is removed when only B3 is written",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-sampled", "maybe", "x-request-id", RID),
            is(REPAIR), all(lacks("x-b3-sampled"), keepsTraceId(B3_TID)))),
        policy("--repair.output-formats b3multi", row("b3 sampled empty is removed when only B3 is written",
            h("x-b3-traceid", B3_TID, "x-b3-spanid", B3_SID, "x-b3-sampled", "", "x-request-id", RID),
            is(REPAIR), all(lacks("x-b3-sampled"), keepsTraceId(B3_TID)))),
        policy("--repair.edge-sampling defer --repair.new-trace-sampling-percent 0",
            row("defer drops the incoming decision, keeps ids, the gateway decides",
            complete(), is(REPAIR), all(keepsTraceId(TID), decisionAgrees(),
                o -> assertThat(o.out().w3c().getSpanId()).isEqualTo(SID),
                o -> assertThat(o.out().w3c().isSampled()).isFalse()))),
        policy("--repair.edge-sampling defer", row("defer with the gateway deciding as the client did changes nothing",
            complete(), is(PASS), untouched())),
        policy("--repair.edge-sampling deny-forced", row("deny-forced drops debug, keeps ids",
            complete("x-b3-flags", "1"), is(REPAIR), all(lacks("x-b3-flags"), keepsTraceId(TID),
                o -> assertThat(o.out().w3c().getSpanId()).isEqualTo(SID)))),
        policy("--repair.edge-sampling deny-forced", row("deny-forced keeps plain accept decisions",
            complete(), is(PASS), untouched())),
        policy("--repair.tracestate-limit 1024", row("tracestate under a raised limit is kept",
            complete("tracestate", tracestate(28) + ",pa=" + "p".repeat(130) + ",pb=" + "p".repeat(130)
                + ",pc=" + "p".repeat(130) + ",pd=" + "p".repeat(130)), is(PASS),
            untouched())),
        policy("--repair.new-trace-sampling-percent 0", row("no incoming decision, 0 percent: not sampled",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR), all(keepsTraceId(B3_TID), o -> {
              assertThat(o.out().w3c().isSampled()).isFalse();
              assertThat(o.out().b3().isSampled()).isFalse();
            }))),
        policy("--repair.new-trace-sampling-percent 100", row("no incoming decision, 100 percent: sampled",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR), all(keepsTraceId(B3_TID), o -> {
              assertThat(o.out().w3c().isSampled()).isTrue();
              assertThat(o.out().b3().isSampled()).isTrue();
            }))),
        policy("--marker.enabled false", row("no marker header when turned off",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR),
            all(lacks("x-meshtrace-repair"), keepsTraceId(B3_TID)))),
        policy("--marker.header x-trace-repaired", row("marker header name is configurable",
            h("x-b3-traceid", B3_TID, "x-request-id", RID), is(REPAIR),
            all(lacks("x-meshtrace-repair"), value("x-trace-repaired", "b3-span-id-missing")))));
  }

  private static final Map<String, ExtProcServer> policyServers = new HashMap<>();
  private static final Map<String, ManagedChannel> policyChannels = new HashMap<>();

  @AfterAll
  static void stopPolicyServers() throws Exception {
    for (ManagedChannel policyChannel : policyChannels.values()) {
      policyChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (ExtProcServer policyServer : policyServers.values()) {
      policyServer.shutdownNow();
    }
  }

  @ParameterizedTest(name = "{0} [{1}]")
  @MethodSource("policyRowsInBothFields")
  void headerRuleUnderPolicy(PolicyRow policyRow, HeaderValueField field) throws Exception {
    String key = String.join(" ", policyRow.flags());
    ExtProcServer policyServer = policyServers.get(key);
    if (policyServer == null) {
      List<String> args = new ArrayList<>(List.of("--address", "127.0.0.1", "--port", "0"));
      args.addAll(List.of(policyRow.flags()));
      ExtProcConfig config = ExtProcConfigParser.fromArgs(args.toArray(new String[0]));
      policyServer = new ExtProcServer(ExtProcServer.nettyBuilder(config), config).start();
      policyServers.put(key, policyServer);
      policyChannels.put(key, Grpc.newChannelBuilderForAddress("127.0.0.1", policyServer.port(),
          InsecureChannelCredentials.create()).build());
    }
    check(policyServer, new RawExtProcClient(policyChannels.get(key)), policyRow.row(),
        policyRow.flags(), field);
  }

  @ParameterizedTest(name = "{0} [{1}]")
  @MethodSource("rowsInBothFields")
  void headerRule(Row row, HeaderValueField field) throws Exception {
    check(server, client, row, new String[0], field);
  }

  static void check(ExtProcServer target, RawExtProcClient via, Row row, String[] flags,
      HeaderValueField field) throws Exception {
    EnvoyHeaders headers = EnvoyHeaders.request(field).add(row.headers());
    HeaderMap input = headers.map();
    double[] before = verdictCounts(target);
    ProcessingResponse response = via.requestHeaders(headers);
    Verdict verdict = verdictSince(target, before);
    Outcome outcome = new Outcome(RepairedRequest.apply(input, response, field), response, verdict);
    List<String> flagList = List.of(flags);

    assertThat(row.verdicts()).as("verdict of '%s'; output:%n%s", row.name(), outcome.out())
        .contains(verdict);
    assertInvariants(row, outcome, flagList, field);
    row.check().accept(outcome);
  }

  /**
   * What the header rules demand whatever the verdict, and what Envoy needs of a response:
   * among others, every value in the request's field and the other field empty.
   */
  static void assertInvariants(Row row, Outcome o, List<String> flags, HeaderValueField field) {
    assertThat(o.response().hasRequestHeaders()).isTrue();
    HeaderMutation mutation = o.mutation();
    for (HeaderValueOption set : mutation.getSetHeadersList()) {
      String name = set.getHeader().getKey();
      String value;
      if (field == HeaderValueField.RAW_VALUE) {
        assertThat(set.getHeader().getValue()).as("value field of %s", name).isEmpty();
        value = set.getHeader().getRawValue().toString(StandardCharsets.ISO_8859_1);
      } else {
        assertThat(set.getHeader().getRawValue().isEmpty()).as("raw_value field of %s", name)
            .isTrue();
        value = set.getHeader().getValue();
      }
      assertThat(HeaderNames.isProtected(name)).as("protected %s", name).isFalse();
      assertThat(set.getAppendAction()).isEqualTo(HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
      assertThat(value).as("%s", name).isNotEmpty().matches("[\\x20-\\x7e]*");
    }
    for (String removed : mutation.getRemoveHeadersList()) {
      assertThat(HeaderNames.isProtected(removed)).as("protected %s", removed).isFalse();
    }
    if (o.verdict() == PASS) {
      assertThat(o.response()).isEqualTo(MessageProcessor.EMPTY_REQUEST_HEADERS);
      return;
    }
    if (flags.isEmpty()) {
      assertThat(o.out().all("x-meshtrace-repair")).hasSize(1);
      assertThat(o.out().first("x-meshtrace-repair")).matches(REASON_CODE).isNotEqualTo("none");
    }

    RepairedRequest out = o.out();
    for (String traceparent : out.all("traceparent")) {
      assertThat(traceparent).matches(TRACEPARENT);
    }
    if (out.has("x-b3-traceid")) {
      assertThat(out.first("x-b3-traceid")).matches(B3_TRACE_ID);
      assertThat(out.first("x-b3-spanid")).as("x-b3-spanid next to x-b3-traceid").matches(B3_SPAN_ID);
    }
    if (out.has("b3") && o.touches("b3")) {
      assertThat(out.first("b3")).matches(B3_SINGLE);
    }
    SpanContext w3c = out.w3c();
    SpanContext b3 = out.b3();
    if (w3c.isValid() && b3.isValid()) {
      assertThat(b3.getTraceId()).as("same trace id in every format").isEqualTo(w3c.getTraceId());
      assertThat(b3.getSpanId()).as("same span id in every format").isEqualTo(w3c.getSpanId());
      assertThat(b3.isSampled()).as("same sampling in every format").isEqualTo(w3c.isSampled());
    }
    boolean hadRequestId = false;
    for (int i = 0; i < row.headers().length; i += 2) {
      hadRequestId |= row.headers()[i].equals("x-request-id");
    }
    if (hadRequestId) {
      assertThat(o.touches("x-request-id")).as("an existing x-request-id is never changed").isFalse();
    } else if (!flags.contains("--repair.add-request-id")) {
      assertThat(out.first("x-request-id")).matches(UUID_V4);
    }
    assertThat(o.touches("x-ot-span-context")).isFalse();
  }

  static double[] verdictCounts(ExtProcServer target) {
    double[] counts = new double[Verdict.values().length];
    for (Verdict verdict : Verdict.values()) {
      counts[verdict.ordinal()] = target.metrics().verdictCount(verdict);
    }
    return counts;
  }

  static Verdict verdictSince(ExtProcServer target, double[] before) {
    Verdict found = null;
    for (Verdict verdict : Verdict.values()) {
      double delta = target.metrics().verdictCount(verdict) - before[verdict.ordinal()];
      if (delta > 0) {
        assertThat(found).as("one verdict per request").isNull();
        assertThat(delta).isEqualTo(1.0);
        found = verdict;
      }
    }
    assertThat(found).as("the request was counted under a verdict (engine error?)").isNotNull();
    return found;
  }

}
