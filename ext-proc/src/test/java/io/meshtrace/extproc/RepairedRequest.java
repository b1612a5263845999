package io.meshtrace.extproc;

import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The request headers as the upstream sees them once Envoy applied a HeadersResponse (removes
 * first, then overwrites), readable by OpenTelemetry's W3C and B3 propagators. Like Envoy, it
 * reads mutation values from the field the request's values came in and from no other: an answer
 * in the other field sets the header to an empty string.
 */
final class RepairedRequest {

  private static final TextMapGetter<RepairedRequest> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(RepairedRequest carrier) {
      Set<String> keys = new LinkedHashSet<>();
      for (String[] header : carrier.headers) {
        keys.add(header[0]);
      }
      return keys;
    }

    @Override
    public String get(RepairedRequest carrier, String key) {
      // OpenTelemetry's B3 propagator asks for X-B3-TraceId; Envoy's keys are lower-case.
      return carrier == null ? null : carrier.first(key.toLowerCase(Locale.ROOT));
    }
  };

  private final List<String[]> headers = new ArrayList<>();

  private RepairedRequest() {}

  static RepairedRequest apply(HeaderMap input, ProcessingResponse response) {
    return apply(input, response, HeaderValueField.of(input));
  }

  /** As an Envoy that sends and reads {@code field} applies {@code response}. */
  static RepairedRequest apply(HeaderMap input, ProcessingResponse response,
      HeaderValueField field) {
    RepairedRequest request = new RepairedRequest();
    for (HeaderValue header : input.getHeadersList()) {
      request.headers.add(new String[] {header.getKey(), valueOf(header)});
    }
    HeaderMutation mutation = response.getRequestHeaders().getResponse().getHeaderMutation();
    for (String removed : mutation.getRemoveHeadersList()) {
      request.headers.removeIf(h -> h[0].equals(removed));
    }
    for (HeaderValueOption set : mutation.getSetHeadersList()) {
      String name = set.getHeader().getKey();
      request.headers.removeIf(h -> h[0].equals(name));
      HeaderValue header = set.getHeader();
      request.headers.add(new String[] {name, field == HeaderValueField.RAW_VALUE
          ? header.getRawValue().toString(StandardCharsets.ISO_8859_1)
          : header.getValue()});
    }
    return request;
  }

  /** A request header's value, from whichever field it came in. */
  private static String valueOf(HeaderValue header) {
    return header.getRawValue().isEmpty()
        ? header.getValue()
        : header.getRawValue().toString(StandardCharsets.ISO_8859_1);
  }

  String first(String name) {
    for (String[] header : headers) {
      if (header[0].equals(name)) {
        return header[1];
      }
    }
    return null;
  }

  List<String> all(String name) {
    List<String> values = new ArrayList<>();
    for (String[] header : headers) {
      if (header[0].equals(name)) {
        values.add(header[1]);
      }
    }
    return values;
  }

  boolean has(String name) {
    return first(name) != null;
  }

  /** The context OpenTelemetry's W3C propagator reads, invalid when none. */
  SpanContext w3c() {
    return Span.fromContext(
        W3CTraceContextPropagator.getInstance().extract(Context.root(), this, GETTER)).getSpanContext();
  }

  /** The context OpenTelemetry's B3 propagator reads (single header first, then multi). */
  SpanContext b3() {
    return Span.fromContext(
        B3Propagator.injectingMultiHeaders().extract(Context.root(), this, GETTER)).getSpanContext();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (String[] header : headers) {
      out.append(header[0]).append(": ").append(header[1]).append('\n');
    }
    return out.toString();
  }
}
