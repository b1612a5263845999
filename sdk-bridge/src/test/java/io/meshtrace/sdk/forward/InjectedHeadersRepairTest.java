package io.meshtrace.sdk.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.RepairResult;
import io.meshtrace.context.TraceContextRepair;
import io.meshtrace.context.Verdict;
import io.meshtrace.sdk.MeshTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the SDK's mesh propagator injects is read by trace-context as valid, complete context. */
class InjectedHeadersRepairTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "w3c|80f198ee56343ba864fe8b2a57d3eff7|e457b5a2e4d86bd1|true",
    "b3multi|80f198ee56343ba864fe8b2a57d3eff7|e457b5a2e4d86bd1|true",
    "b3single|80f198ee56343ba864fe8b2a57d3eff7|e457b5a2e4d86bd1|false",
    "w3c,b3multi|4bf92f3577b34da6a3ce929d0e0e4736|00f067aa0ba902b7|true",
    "w3c,b3multi,b3single|4bf92f3577b34da6a3ce929d0e0e4736|00f067aa0ba902b7|false",
  })
  void injected_readByTraceContext_passesUnchanged(String formats, String traceId, String spanId, boolean sampled) {
    Set<PropagationFormat> set = EnumSet.noneOf(PropagationFormat.class);
    for (String name : formats.split(",")) {
      set.add(PropagationFormat.fromConfigName(name));
    }
    Context context = MeshTelemetry.withRequestId(Context.root(), "8d7b6f2e-31a4-4c2b-9f1d-0a1b2c3d4e5f")
        .with(Span.wrap(SpanContext.create(traceId, spanId,
            sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault())));
    Map<String, String> headers = new LinkedHashMap<>();
    MeshTelemetry.propagator(set).inject(context, headers, (c, k, v) -> c.put(k.toLowerCase(Locale.ROOT), v));

    TraceHeaderView view = new TraceHeaderView();
    headers.forEach(view::add);
    RepairResult result = TraceContextRepair.create(RepairPolicy.defaults().withOutputFormats(set)).repair(view);

    assertThat(result.verdict()).as("%s -> %s", headers, result).isEqualTo(Verdict.PASS);
    assertThat(result.mutations()).isEmpty();
  }
}
