package io.meshtrace.sdk.forward;

import io.meshtrace.context.HeaderMutation;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.RepairResult;
import io.meshtrace.context.TraceContextRepair;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Header forwarding for services inside the mesh that do not trace themselves: from the
 * incoming request's headers, the trace headers to put on every outgoing call, so the sidecar
 * continues the same trace.
 *
 * <p>The incoming context is first checked and completed by trace-context's repair engine
 * (the same rules the gateway applies), so a B3 trace id without a span id, a malformed
 * {@code traceparent} or repeated headers are fixed before they travel on.
 *
 * <pre>{@code
 * HeaderForwarding forwarding = HeaderForwarding.create();
 * // incoming: x-request-id, x-b3-traceid, x-b3-spanid, x-b3-sampled: 1, accept, ...
 * ForwardedHeaders trace = forwarding.from(exchange.getRequestHeaders());
 * HttpRequest.Builder call = HttpRequest.newBuilder(URI.create("http://reviews:9080/reviews/0"));
 * trace.applyTo(call);   // x-request-id, x-b3-traceid, x-b3-spanid, x-b3-sampled
 * }</pre>
 *
 * <p>Forwarded: {@code x-request-id}, {@code traceparent}, {@code tracestate},
 * {@code x-b3-traceid}, {@code x-b3-spanid}, {@code x-b3-parentspanid}, {@code x-b3-sampled},
 * {@code x-b3-flags}, {@code b3}, {@code x-ot-span-context}. Applications that trace
 * themselves use {@link #fromContext} with the mesh propagator instead.
 */
public final class HeaderForwarding {

  /** The headers forwarded, in the order they are written. */
  public static final List<String> TRACE_HEADERS = List.of(
      "x-request-id",
      "traceparent",
      "tracestate",
      "x-b3-traceid",
      "x-b3-spanid",
      "x-b3-parentspanid",
      "x-b3-sampled",
      "x-b3-flags",
      "b3",
      "x-ot-span-context");

  private final TraceContextRepair repair;

  private HeaderForwarding(TraceContextRepair repair) {
    this.repair = repair;
  }

  /**
   * Forwarding for a service inside the mesh: the sidecar in front of it always sends a
   * context, so a request without one is forwarded without inventing one (the sidecar starts
   * the trace); otherwise trace-context's default policy (W3C + B3 multi written on repair,
   * {@code x-request-id} added when missing, incoming sampling trusted).
   */
  public static HeaderForwarding create() {
    return create(RepairPolicy.defaults().withStartTraceWhenAbsent(false));
  }

  /** Forwarding with the given repair policy. */
  public static HeaderForwarding create(RepairPolicy policy) {
    return new HeaderForwarding(TraceContextRepair.create(Objects.requireNonNull(policy, "policy")));
  }

  /**
   * The trace headers to forward, from request headers as a multi-map (the JDK HTTP server's
   * {@code Headers}, {@code java.net.http.HttpHeaders.map()}, a servlet's headers collected).
   * Names may be in any case.
   */
  public ForwardedHeaders from(Map<String, List<String>> incoming) {
    TraceHeaderView view = new TraceHeaderView();
    for (Map.Entry<String, List<String>> entry : incoming.entrySet()) {
      if (entry.getKey() == null || entry.getValue() == null) {
        continue;
      }
      String name = entry.getKey().toLowerCase(Locale.ROOT);
      if (TRACE_HEADERS.contains(name)) {
        for (String value : entry.getValue()) {
          view.add(name, value);
        }
      }
    }
    return forward(view);
  }

  /** The trace headers to forward, from single-valued request headers (a plain map). */
  public ForwardedHeaders fromSingleValues(Map<String, String> incoming) {
    TraceHeaderView view = new TraceHeaderView();
    for (Map.Entry<String, String> entry : incoming.entrySet()) {
      if (entry.getKey() == null) {
        continue;
      }
      String name = entry.getKey().toLowerCase(Locale.ROOT);
      if (TRACE_HEADERS.contains(name)) {
        view.add(name, entry.getValue());
      }
    }
    return forward(view);
  }

  /**
   * For applications that trace: the headers {@code propagator} (e.g.
   * {@code sdk.getPropagators().getTextMapPropagator()}) injects for {@code context}, usually
   * {@code Context.current()} inside the application's own span.
   */
  public static ForwardedHeaders fromContext(TextMapPropagator propagator, Context context) {
    Map<String, String> headers = new LinkedHashMap<>();
    propagator.inject(context, headers, (carrier, key, value) -> {
      if (carrier != null && key != null && value != null) {
        carrier.put(key.toLowerCase(Locale.ROOT), value);
      }
    });
    return new ForwardedHeaders(headers, null);
  }

  private ForwardedHeaders forward(TraceHeaderView view) {
    RepairResult result = repair.repair(view);
    Map<String, List<String>> headers = view.asMultiMap();
    for (HeaderMutation mutation : result.mutations()) {
      if (mutation.isRemove()) {
        headers.remove(mutation.name());
      } else {
        List<String> values = new ArrayList<>(1);
        values.add(mutation.value());
        headers.put(mutation.name(), values);
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : TRACE_HEADERS) {
      List<String> values = headers.get(name);
      if (values == null || values.isEmpty()) {
        continue;
      }
      // Several tracestate headers are one list (W3C); for the others the repair has already
      // dealt with repeats, so the first is the one that counts.
      String value = "tracestate".equals(name) ? String.join(",", values) : values.get(0);
      if (TraceHeaderView.isSafeValue(value)) {
        out.put(name, value);
      }
    }
    return new ForwardedHeaders(out, result);
  }
}
