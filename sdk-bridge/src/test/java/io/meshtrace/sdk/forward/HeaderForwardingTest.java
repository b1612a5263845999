package io.meshtrace.sdk.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.Verdict;
import io.meshtrace.sdk.MeshTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderForwardingTest {

  static final String TRACE_ID = "80f198ee56343ba864fe8b2a57d3eff7";
  static final String SPAN_ID = "e457b5a2e4d86bd1";
  static final String REQUEST_ID = "8d7b6f2e-31a4-4c2b-9f1d-0a1b2c3d4e5f";

  static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier.get(key.toLowerCase(Locale.ROOT));
    }
  };

  private final HeaderForwarding forwarding = HeaderForwarding.create();

  @Test
  void from_completeB3FromSidecar_forwardsSameContextAndRequestId_dropsOtherHeaders() {
    Map<String, List<String>> incoming = new LinkedHashMap<>();
    incoming.put("X-Request-Id", List.of(REQUEST_ID));
    incoming.put("X-B3-TraceId", List.of(TRACE_ID));
    incoming.put("X-B3-SpanId", List.of(SPAN_ID));
    incoming.put("X-B3-Sampled", List.of("1"));
    incoming.put("Accept", List.of("text/html"));
    incoming.put("Cookie", List.of("theme=dark"));

    ForwardedHeaders out = forwarding.from(incoming);

    assertThat(out.get("x-request-id")).isEqualTo(REQUEST_ID);
    assertThat(out.get("x-b3-traceid")).isEqualTo(TRACE_ID);
    assertThat(out.get("x-b3-spanid")).isEqualTo(SPAN_ID);
    assertThat(out.get("x-b3-sampled")).isEqualTo("1");
    assertThat(out.asMap()).doesNotContainKeys("accept", "cookie");
    assertThat(out.repair().verdict()).isNotEqualTo(Verdict.REGENERATE);
    assertReadBackByOpenTelemetry(out, TRACE_ID, SPAN_ID);
  }

  @Test
  void from_completeW3cAndB3_passesUntouched() {
    Map<String, String> incoming = Map.of(
        "x-request-id", REQUEST_ID,
        "traceparent", "00-" + TRACE_ID + "-" + SPAN_ID + "-01",
        "tracestate", "congo=t61rcWkgMzE",
        "x-b3-traceid", TRACE_ID,
        "x-b3-spanid", SPAN_ID,
        "x-b3-sampled", "1");

    ForwardedHeaders out = forwarding.fromSingleValues(incoming);

    assertThat(out.repair().verdict()).isEqualTo(Verdict.PASS);
    assertThat(out.asMap()).isEqualTo(incoming);
  }

  @Test
  void from_b3TraceIdWithoutSpanId_keepsTraceIdAddsSpanId() {
    ForwardedHeaders out = forwarding.fromSingleValues(Map.of(
        "x-request-id", REQUEST_ID, "x-b3-traceid", TRACE_ID, "x-b3-sampled", "1"));

    assertThat(out.repair().verdict()).isEqualTo(Verdict.REPAIR);
    assertThat(out.get("x-b3-traceid")).isEqualTo(TRACE_ID);
    assertThat(out.get("x-b3-spanid")).matches("[0-9a-f]{16}").isNotEqualTo("0000000000000000");
    assertThat(out.get("x-request-id")).isEqualTo(REQUEST_ID);
    assertReadBackByOpenTelemetry(out, TRACE_ID, out.get("x-b3-spanid"));
  }

  @Test
  void from_b3SingleOnly_forwardedAndCompleted() {
    ForwardedHeaders out = forwarding.fromSingleValues(Map.of("b3", TRACE_ID + "-" + SPAN_ID + "-1"));

    assertThat(out.get("b3")).startsWith(TRACE_ID + "-");
    assertThat(out.get("x-request-id")).as("added when missing").matches("[0-9a-f-]{36}");
    assertReadBackByOpenTelemetry(out, TRACE_ID, null);
  }

  @Test
  void from_noTraceContext_startsNoTrace_onlyRequestIdAdded() {
    ForwardedHeaders out = forwarding.fromSingleValues(Map.of("accept", "text/html"));

    assertThat(out.asMap()).containsOnlyKeys("x-request-id");
  }

  @Test
  void from_noTraceContext_policyStartsTraces_forwardsNewContext() {
    HeaderForwarding starting = HeaderForwarding.create(RepairPolicy.defaults());
    ForwardedHeaders out = starting.fromSingleValues(Map.of("x-request-id", REQUEST_ID));

    assertThat(out.repair().verdict()).isEqualTo(Verdict.REGENERATE);
    assertThat(out.get("traceparent")).startsWith("00-" + out.repair().traceId() + "-");
    assertThat(out.get("x-request-id")).isEqualTo(REQUEST_ID);
    assertReadBackByOpenTelemetry(out, out.repair().traceId(), out.repair().spanId());
  }

  @Test
  void from_malformedTraceparent_neverForwardedAsIs() {
    String bad = "00-" + TRACE_ID.toUpperCase(Locale.ROOT) + "-" + SPAN_ID + "-01";
    ForwardedHeaders out = forwarding.fromSingleValues(Map.of("traceparent", bad, "tracestate", "a=b"));

    // No usable trace id and a policy that leaves trace starts to the sidecar: the broken
    // headers are dropped, not forwarded.
    assertThat(out.repair().verdict()).isEqualTo(Verdict.REGENERATE);
    assertThat(out.asMap()).containsOnlyKeys("x-request-id");
  }

  @Test
  void from_repeatedTracestate_joinedInOrder() {
    Map<String, List<String>> incoming = new HashMap<>();
    incoming.put("traceparent", List.of("00-" + TRACE_ID + "-" + SPAN_ID + "-01"));
    incoming.put("tracestate", List.of("congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"));
    incoming.put("x-b3-traceid", List.of(TRACE_ID));
    incoming.put("x-b3-spanid", List.of(SPAN_ID));
    incoming.put("x-b3-sampled", List.of("1"));
    incoming.put("x-request-id", List.of(REQUEST_ID));

    ForwardedHeaders out = forwarding.from(incoming);

    assertThat(out.get("tracestate")).isEqualTo("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    assertThat(out.get("traceparent")).isEqualTo("00-" + TRACE_ID + "-" + SPAN_ID + "-01");
  }

  @Test
  void from_otSpanContext_passedThroughUntouched_unlessItCarriesControlChars() {
    Map<String, String> base = Map.of("x-b3-traceid", TRACE_ID, "x-b3-spanid", SPAN_ID, "x-request-id", REQUEST_ID);
    Map<String, String> withOt = new HashMap<>(base);
    withOt.put("x-ot-span-context", "e457b5a2e4d86bd1;e457b5a2e4d86bd1;0000000000000000;cs");
    assertThat(forwarding.fromSingleValues(withOt).get("x-ot-span-context"))
        .isEqualTo("e457b5a2e4d86bd1;e457b5a2e4d86bd1;0000000000000000;cs");

    Map<String, String> smuggled = new HashMap<>(base);
    smuggled.put("x-ot-span-context", "abc\r\nx-admin: true");
    assertThat(forwarding.fromSingleValues(smuggled).asMap()).doesNotContainKey("x-ot-span-context");
  }

  @Test
  void applyTo_httpRequestBuilder_setsEveryHeader() {
    ForwardedHeaders out = forwarding.fromSingleValues(Map.of(
        "x-request-id", REQUEST_ID, "x-b3-traceid", TRACE_ID, "x-b3-spanid", SPAN_ID, "x-b3-sampled", "1"));
    HttpRequest request = out.applyTo(HttpRequest.newBuilder(URI.create("http://reviews:9080/reviews/0")))
        .build();

    for (Map.Entry<String, String> header : out.asMap().entrySet()) {
      assertThat(request.headers().firstValue(header.getKey())).hasValue(header.getValue());
    }
    assertThat(request.headers().firstValue("x-b3-traceid")).hasValue(TRACE_ID);
    assertThat(out.applyTo(new HashMap<>())).isEqualTo(out.asMap());
  }

  @Test
  void fromContext_meshPropagator_injectsApplicationSpan() {
    Context context = MeshTelemetry.withRequestId(Context.root(), REQUEST_ID).with(Span.wrap(
        SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault())));
    ForwardedHeaders out = HeaderForwarding.fromContext(
        MeshTelemetry.propagator(EnumSet.of(PropagationFormat.B3_MULTI, PropagationFormat.B3_SINGLE)), context);

    assertThat(out.asMap()).containsOnlyKeys("x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "b3", "x-request-id");
    assertThat(out.repair()).isNull();
    assertReadBackByOpenTelemetry(out, TRACE_ID, SPAN_ID);
  }

  /** Every trace format forwarded carries {@code traceId} (and {@code spanId} when given). */
  static void assertReadBackByOpenTelemetry(ForwardedHeaders out, String traceId, String spanId) {
    Map<String, String> headers = out.asMap();
    int formats = 0;
    if (headers.containsKey("traceparent")) {
      formats++;
      assertContext(W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, GETTER), traceId, spanId);
    }
    if (headers.containsKey("x-b3-traceid")) {
      formats++;
      Map<String, String> multi = new HashMap<>(headers);
      multi.remove("b3");
      assertContext(B3Propagator.injectingMultiHeaders().extract(Context.root(), multi, GETTER), traceId, spanId);
    }
    if (headers.containsKey("b3")) {
      formats++;
      Map<String, String> single = Map.of("b3", headers.get("b3"));
      assertContext(B3Propagator.injectingSingleHeader().extract(Context.root(), single, GETTER), traceId, spanId);
    }
    assertThat(formats).as("at least one trace format forwarded").isPositive();
  }

  private static void assertContext(Context context, String traceId, String spanId) {
    SpanContext span = Span.fromContext(context).getSpanContext();
    assertThat(span.isValid()).isTrue();
    assertThat(span.getTraceId()).isEqualTo(traceId);
    if (spanId != null) {
      assertThat(span.getSpanId()).isEqualTo(spanId);
    }
  }
}
