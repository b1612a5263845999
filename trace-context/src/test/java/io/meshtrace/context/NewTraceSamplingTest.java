package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sampling decision the gateway makes for traces without one when it writes W3C, checked
 * against OpenTelemetry Java: its propagators read the decided flag from every format, and its
 * own B3-to-W3C translation shows why the decision is needed (B3 "no decision" becomes
 * {@code traceparent} flags {@code 00}: not sampled).
 */
class NewTraceSamplingTest {
  static final String B3_TRACE = "80f198ee56343ba864fe8b2a57d3eff7";
  static final String B3_SPAN = "e457b5a2e4d86bd1";
  static final RepairPolicy ALL_FORMATS =
      RepairPolicy.defaults().withOutputFormats(EnumSet.allOf(PropagationFormat.class));

  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier.get(key.toLowerCase(Locale.ROOT));
        }
      };

  /** What an OpenTelemetry service does with the context it receives: extract, inject on. */
  private static Map<String, String> otelForward(
      TextMapPropagator in, TextMapPropagator out, Map<String, String> headers) {
    Context context = in.extract(Context.root(), headers, GETTER);
    Map<String, String> sent = new HashMap<>();
    out.inject(context, sent, (carrier, key, value) -> carrier.put(key.toLowerCase(Locale.ROOT), value));
    return sent;
  }

  @Test
  void otel_b3WithoutDecision_injectsTraceparentNotSampled() {
    Map<String, String> b3 = Map.of("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN);
    Map<String, String> sent = otelForward(
        B3Propagator.injectingMultiHeaders(), W3CTraceContextPropagator.getInstance(), b3);
    // The premise of the policy: "no decision" cannot be said in W3C; OTel writes "not sampled".
    assertThat(sent.get("traceparent")).isEqualTo("00-" + B3_TRACE + "-" + B3_SPAN + "-00");
  }

  @ParameterizedTest(name = "percent {0}")
  @ValueSource(doubles = {100, 0})
  void repair_b3WithoutDecision_otelReadsTheDecidedFlagInEveryFormat(double percent) {
    boolean sampled = percent == 100;
    TraceContextRepair engine = TraceContextRepair.create(ALL_FORMATS.withNewTraceSamplingPercent(percent));
    HeaderList input = HeaderList.of("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN);
    RepairResult result = engine.repair(input.view());

    assertThat(result.samplingDecided()).isTrue();
    Map<String, String> out = WrittenHeaders.check(engine, input, result, true).toMap();
    assertThat(out).containsEntry("x-b3-sampled", sampled ? "1" : "0")
        .containsEntry("traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + (sampled ? "-01" : "-00"))
        .containsEntry("b3", B3_TRACE + "-" + B3_SPAN + (sampled ? "-1" : "-0"));
    for (SpanContext read : new SpanContext[] {
        OtelReadBack.w3c(out), OtelReadBack.b3Multi(out), OtelReadBack.b3Single(out)}) {
      assertThat(read.getTraceId()).isEqualTo(B3_TRACE);
      assertThat(read.getSpanId()).isEqualTo(B3_SPAN);
      assertThat(read.isSampled()).as("%s", read).isEqualTo(sampled);
    }
    // An OTel service reading our W3C writes B3 with the same decision we wrote, and back.
    assertThat(otelForward(W3CTraceContextPropagator.getInstance(), B3Propagator.injectingMultiHeaders(), out))
        .containsEntry("x-b3-sampled", sampled ? "1" : "0");
    assertThat(otelForward(B3Propagator.injectingMultiHeaders(), W3CTraceContextPropagator.getInstance(), out))
        .containsEntry("traceparent", out.get("traceparent"));
  }

  @ParameterizedTest(name = "percent {0}")
  @ValueSource(doubles = {100, 0})
  void repair_noContext_otelReadsTheDecidedFlagInEveryFormat(double percent) {
    boolean sampled = percent == 100;
    TraceContextRepair engine = TraceContextRepair.create(ALL_FORMATS.withNewTraceSamplingPercent(percent));
    HeaderList input = HeaderList.of(":path", "/productpage");
    RepairResult result = engine.repair(input.view());

    assertThat(result.verdict()).isEqualTo(Verdict.REGENERATE);
    assertThat(result.samplingDecided()).isTrue();
    Map<String, String> out = WrittenHeaders.check(engine, input, result, true).toMap();
    assertThat(out.get("traceparent")).endsWith(sampled ? "-03" : "-02");
    assertThat(out).containsEntry("x-b3-sampled", sampled ? "1" : "0");
    assertThat(out.get("b3")).endsWith(sampled ? "-1" : "-0");
    assertThat(OtelReadBack.w3c(out).isSampled()).isEqualTo(sampled);
    assertThat(OtelReadBack.b3Multi(out).isSampled()).isEqualTo(sampled);
    assertThat(OtelReadBack.b3Single(out).isSampled()).isEqualTo(sampled);
  }

  @Test
  void repair_b3OnlyOutputs_noDecisionWrittenNothingDecided() {
    RepairPolicy b3Only = RepairPolicy.defaults()
        .withOutputFormats(EnumSet.of(PropagationFormat.B3_MULTI, PropagationFormat.B3_SINGLE))
        .withNewTraceSamplingPercent(0);
    SequenceIds ids = new SequenceIds();
    TraceContextRepair engine = TraceContextRepair.create(b3Only, ids);
    HeaderList input = HeaderList.of("x-b3-traceid", B3_TRACE);
    RepairResult result = engine.repair(input.view());

    assertThat(result.samplingDecided()).isFalse();
    Map<String, String> out = WrittenHeaders.check(engine, input, result, true).toMap();
    assertThat(out).doesNotContainKeys("x-b3-sampled", "x-b3-flags", "traceparent");
    assertThat(out.get("b3")).isEqualTo(B3_TRACE + "-" + out.get("x-b3-spanid"));
    assertThat(ids.samplingDraws).isZero();
  }

  @Test
  void repair_validContextWithDecision_passesWithoutADraw() {
    SequenceIds ids = new SequenceIds();
    TraceContextRepair engine =
        TraceContextRepair.create(RepairPolicy.defaults().withNewTraceSamplingPercent(50), ids);
    RepairResult result = engine.repair(RequestHeaders.ofPairs(
        "traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + "-01",
        "x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1",
        "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6"));
    assertThat(result).isSameAs(RepairResult.PASS);
    assertThat(result.samplingDecided()).isFalse();
    assertThat(ids.samplingDraws).isZero();
  }

  @Test
  void repair_percent37point5RandomGenerator_samplesAboutThatShareOfNewTraces() {
    TraceContextRepair engine =
        TraceContextRepair.create(RepairPolicy.defaults().withNewTraceSamplingPercent(37.5));
    RequestHeaders none = RequestHeaders.ofPairs(":path", "/");
    int runs = 20_000;
    int sampled = 0;
    for (int i = 0; i < runs; i++) {
      RepairResult result = engine.repair(none);
      String decision = null;
      for (HeaderMutation mutation : result.mutations()) {
        if (mutation.name().equals("x-b3-sampled")) {
          decision = mutation.value();
        }
      }
      assertThat(decision).isIn("0", "1");
      sampled += decision.equals("1") ? 1 : 0;
    }
    // Binomial: standard deviation 0.34 points at 20,000 draws; 2 points is about 6 of them.
    assertThat(100.0 * sampled / runs).isBetween(35.5, 39.5);
  }

  @Test
  void idGenerator_defaultSamplingFraction_fromIdsInUnitInterval() {
    IdGenerator onlyIds = () -> -1L;
    assertThat(onlyIds.nextSamplingFraction()).isLessThan(1.0).isGreaterThan(0.999);
    IdGenerator small = () -> 1L;
    assertThat(small.nextSamplingFraction()).isEqualTo(0.0);
    assertThat(IdGenerator.random().nextSamplingFraction()).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
  }

  @Test
  void repair_generatorReturnsFractionOutOfRange_stillDecides() {
    IdGenerator broken = new IdGenerator() {
      private long next = 1;

      @Override
      public long nextNonZeroLong() {
        return next++;
      }

      @Override
      public double nextSamplingFraction() {
        return Double.NaN;
      }
    };
    TraceContextRepair engine =
        TraceContextRepair.create(RepairPolicy.defaults().withNewTraceSamplingPercent(50), broken);
    HeaderList input = HeaderList.of(":path", "/");
    RepairResult result = engine.repair(input.view());
    assertThat(result.samplingDecided()).isTrue();
    WrittenHeaders.check(engine, input, result, true);
  }

  @Test
  void policy_newTraceSamplingPercent_defaultsTo100AndKeepsTheSixArgumentConstructor() {
    RepairPolicy six = new RepairPolicy(EnumSet.of(PropagationFormat.W3C), PropagationFormat.W3C,
        false, EdgeSampling.DEFER, 600, false);
    assertThat(six.newTraceSamplingPercent()).isEqualTo(100.0);
    assertThat(RepairPolicy.defaults().newTraceSamplingPercent()).isEqualTo(100.0);
    RepairPolicy half = six.withNewTraceSamplingPercent(0.5);
    assertThat(half.newTraceSamplingPercent()).isEqualTo(0.5);
    assertThat(half.withTracestateLimit(700).newTraceSamplingPercent()).isEqualTo(0.5);
    assertThat(half.withEdgeSampling(EdgeSampling.TRUST).outputFormats()).containsExactly(PropagationFormat.W3C);
    assertThat(half).isNotEqualTo(six).isEqualTo(six.withNewTraceSamplingPercent(0.5));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(doubles = {140, -0.5, 100.0001, Double.NaN, Double.POSITIVE_INFINITY})
  void policy_newTraceSamplingPercentOutOfRange_rejectedNamingKeyAndValue(double percent) {
    assertThatThrownBy(() -> RepairPolicy.defaults().withNewTraceSamplingPercent(percent))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("newTraceSamplingPercent=" + percent + ": must be between 0 and 100");
  }
}
