package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.context.PropagationFormat;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MeshPropagatorTest {

  static final String TRACE_ID = "80f198ee56343ba864fe8b2a57d3eff7";
  static final String SPAN_ID = "e457b5a2e4d86bd1";
  static final Context CONTEXT = Context.root().with(Span.wrap(
      SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault())));

  static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key.toLowerCase(java.util.Locale.ROOT));
    }
  };

  static Map<String, String> inject(TextMapPropagator propagator, Context context) {
    Map<String, String> headers = new LinkedHashMap<>();
    propagator.inject(context, headers, (carrier, key, value) -> carrier.put(key.toLowerCase(java.util.Locale.ROOT), value));
    return headers;
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "b3|b3",
    "b3multi|x-b3-traceid,x-b3-spanid,x-b3-sampled",
    "b3single|b3",
    "tracecontext|traceparent",
    "w3c|traceparent",
    "tracecontext,b3multi|traceparent,x-b3-traceid,x-b3-spanid,x-b3-sampled",
    "b3,b3multi,tracecontext|traceparent,x-b3-traceid,x-b3-spanid,x-b3-sampled,b3",
  })
  void inject_propagationSetting_writesExactlyThoseHeaders(String setting, String expected) {
    Map<String, String> headers = inject(MeshTelemetry.propagator(setting, null), CONTEXT);
    assertThat(headers.keySet()).containsExactlyInAnyOrder(expected.split(","));
  }

  @ParameterizedTest
  @CsvSource({"1.18.0.124, x-b3-traceid", "1.18.0.125, traceparent", "1.22.3, traceparent", "1.6, x-b3-traceid"})
  void inject_meshVersion_followsVersionRule(String version, String header) {
    Map<String, String> headers = inject(MeshTelemetry.propagator(null, version), CONTEXT);
    assertThat(headers).containsKey(header).hasSize(header.equals("traceparent") ? 1 : 3);
  }

  @Test
  void inject_everyFormat_readBackByOpenTelemetryPropagators() {
    Map<String, String> headers = inject(MeshTelemetry.propagator(EnumSet.allOf(PropagationFormat.class)), CONTEXT);
    assertThat(headers).containsEntry("traceparent", "00-" + TRACE_ID + "-" + SPAN_ID + "-01")
        .containsEntry("x-b3-traceid", TRACE_ID)
        .containsEntry("x-b3-spanid", SPAN_ID)
        .containsEntry("x-b3-sampled", "1")
        .containsEntry("b3", TRACE_ID + "-" + SPAN_ID + "-1");

    Map<String, String> w3cOnly = Map.of("traceparent", headers.get("traceparent"));
    Map<String, String> b3MultiOnly = Map.of("x-b3-traceid", headers.get("x-b3-traceid"),
        "x-b3-spanid", headers.get("x-b3-spanid"), "x-b3-sampled", headers.get("x-b3-sampled"));
    Map<String, String> b3SingleOnly = Map.of("b3", headers.get("b3"));
    assertSameContext(W3CTraceContextPropagator.getInstance().extract(Context.root(), w3cOnly, GETTER));
    assertSameContext(B3Propagator.injectingMultiHeaders().extract(Context.root(), b3MultiOnly, GETTER));
    assertSameContext(B3Propagator.injectingSingleHeader().extract(Context.root(), b3SingleOnly, GETTER));
  }

  @ParameterizedTest
  @CsvSource({"w3c", "b3", "b3single"})
  void extract_acceptsEveryFormat_whateverIsInjected(String injected) {
    Map<String, String> w3c = Map.of("traceparent", "00-" + TRACE_ID + "-" + SPAN_ID + "-01");
    Map<String, String> b3multi = Map.of("x-b3-traceid", TRACE_ID, "x-b3-spanid", SPAN_ID, "x-b3-sampled", "1");
    Map<String, String> b3single = Map.of("b3", TRACE_ID + "-" + SPAN_ID + "-1");
    TextMapPropagator propagator = MeshTelemetry.propagator(injected, null);
    for (Map<String, String> carrier : List.of(w3c, b3multi, b3single)) {
      assertSameContext(propagator.extract(Context.root(), carrier, GETTER));
    }
  }

  @Test
  void extract_formatsDisagree_configuredFormatWins() {
    String otherTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    Map<String, String> carrier = Map.of(
        "traceparent", "00-" + otherTrace + "-00f067aa0ba902b7-01",
        "x-b3-traceid", TRACE_ID, "x-b3-spanid", SPAN_ID, "x-b3-sampled", "1");
    assertThat(traceId(MeshTelemetry.propagator("b3", null).extract(Context.root(), carrier, GETTER)))
        .isEqualTo(TRACE_ID);
    assertThat(traceId(MeshTelemetry.propagator("w3c", null).extract(Context.root(), carrier, GETTER)))
        .isEqualTo(otherTrace);
  }

  @Test
  void extract_invalidPreferredFormat_fallsBackToValidOther() {
    Map<String, String> carrier = Map.of(
        "traceparent", "00-" + "0".repeat(32) + "-" + SPAN_ID + "-01",
        "x-b3-traceid", TRACE_ID, "x-b3-spanid", SPAN_ID);
    assertThat(traceId(MeshTelemetry.propagator("w3c", null).extract(Context.root(), carrier, GETTER)))
        .isEqualTo(TRACE_ID);
  }

  @Test
  void requestId_extractedAndInjectedAgain() {
    TextMapPropagator propagator = MeshTelemetry.propagator("b3", null);
    Map<String, String> incoming = Map.of("x-request-id", "c7a1f2b4-2d5e-4c1a-9b3e-1f2a3b4c5d6e",
        "x-b3-traceid", TRACE_ID, "x-b3-spanid", SPAN_ID);
    Context extracted = propagator.extract(Context.root(), incoming, GETTER);
    assertThat(MeshTelemetry.requestId(extracted)).isEqualTo("c7a1f2b4-2d5e-4c1a-9b3e-1f2a3b4c5d6e");
    assertThat(inject(propagator, extracted)).containsEntry("x-request-id", "c7a1f2b4-2d5e-4c1a-9b3e-1f2a3b4c5d6e");
  }

  @Test
  void requestId_withControlChars_ignored() {
    Context extracted = MeshTelemetry.propagator("b3", null)
        .extract(Context.root(), Map.of("x-request-id", "abc\r\nx-evil: 1"), GETTER);
    assertThat(MeshTelemetry.requestId(extracted)).isNull();
  }

  @Test
  void headerGetter_lowerCaseMap_answersMixedCaseLookups() {
    Map<String, List<String>> headers = Map.of(
        "x-b3-traceid", List.of(TRACE_ID), "x-b3-spanid", List.of(SPAN_ID), "x-b3-sampled", List.of("1"));
    Context extracted = B3Propagator.injectingMultiHeaders()
        .extract(Context.root(), headers, MeshTelemetry.headerGetter());
    assertSameContext(extracted);
    assertThat(MeshTelemetry.headerGetter().get(headers, "X-B3-TraceId")).isEqualTo(TRACE_ID);
  }

  @Test
  void fields_listEveryInjectedHeader() {
    assertThat(MeshTelemetry.propagator(Set.of(PropagationFormat.W3C, PropagationFormat.B3_SINGLE)).fields())
        .contains("traceparent", "tracestate", "b3", "x-request-id");
  }

  private static String traceId(Context context) {
    return Span.fromContext(context).getSpanContext().getTraceId();
  }

  private static void assertSameContext(Context context) {
    SpanContext span = Span.fromContext(context).getSpanContext();
    assertThat(span.isValid()).isTrue();
    assertThat(span.isRemote()).isTrue();
    assertThat(span.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(span.getSpanId()).isEqualTo(SPAN_ID);
    assertThat(span.isSampled()).isTrue();
  }
}
