package io.meshtrace.context;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads headers back with OpenTelemetry's propagators, one format at a time. OTel's B3
 * extractor asks for {@code X-B3-TraceId}: the getter ignores case.
 */
final class OtelReadBack {
  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key.toLowerCase(Locale.ROOT));
        }
      };

  private static final TextMapPropagator B3 = B3Propagator.injectingMultiHeaders();

  private OtelReadBack() {}

  static SpanContext w3c(Map<String, String> headers) {
    return extract(W3CTraceContextPropagator.getInstance(),
        only(headers, "traceparent", "tracestate"));
  }

  static SpanContext b3Single(Map<String, String> headers) {
    return extract(B3, only(headers, "b3"));
  }

  static SpanContext b3Multi(Map<String, String> headers) {
    return extract(B3, only(headers, "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid",
        "x-b3-sampled", "x-b3-flags"));
  }

  private static Map<String, String> only(Map<String, String> headers, String... names) {
    Map<String, String> out = new HashMap<>();
    for (String name : names) {
      if (headers.containsKey(name)) {
        out.put(name, headers.get(name));
      }
    }
    return out;
  }

  private static SpanContext extract(TextMapPropagator propagator, Map<String, String> carrier) {
    Context context = propagator.extract(Context.root(), carrier, GETTER);
    return Span.fromContext(context).getSpanContext();
  }
}
