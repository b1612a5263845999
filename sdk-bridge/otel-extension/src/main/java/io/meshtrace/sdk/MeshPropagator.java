package io.meshtrace.sdk;

import io.meshtrace.context.EdgeSampling;
import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.RepairPolicy;
import io.meshtrace.context.RepairResult;
import io.meshtrace.context.TraceContextRepair;
import io.meshtrace.context.Verdict;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The mesh's propagator: injects the configured formats (W3C, B3 multi, B3 single, in that
 * order) plus {@code x-request-id}; extracts from whichever format the caller sent, preferring
 * the configured ones, so a W3C mesh still joins a B3 caller and the reverse.
 *
 * <p>Before extraction the incoming context goes through trace-context's repair rules (the
 * gateway's), so what a sidecar or a client sends incomplete keeps its trace: a B3
 * {@code x-b3-traceid} without {@code x-b3-spanid} continues that trace id under a new parent
 * span id instead of starting a new trace; W3C and B3 that disagree are read as one context; a
 * context without a sampling decision (B3 can defer it) is decided at
 * {@code deferredSamplingPercent}.
 */
final class MeshPropagator implements TextMapPropagator {

  static final String REQUEST_ID = "x-request-id";
  static final ContextKey<String> REQUEST_ID_KEY = ContextKey.named("meshtrace-x-request-id");
  private static final int MAX_REQUEST_ID_LENGTH = 256;

  private final Set<PropagationFormat> formats;
  private final List<TextMapPropagator> injectors;
  private final List<TextMapPropagator> extractors;
  private final Collection<String> fields;
  private final TraceContextRepair repair;

  MeshPropagator(Set<PropagationFormat> formats, double deferredSamplingPercent) {
    if (formats.isEmpty()) {
      throw new IllegalArgumentException("formats must not be empty");
    }
    this.formats = Collections.unmodifiableSet(EnumSet.copyOf(formats));
    List<TextMapPropagator> inject = new ArrayList<>();
    for (PropagationFormat format : PropagationFormat.values()) {
      if (formats.contains(format)) {
        inject.add(propagatorFor(format));
      }
    }
    this.injectors = Collections.unmodifiableList(inject);
    // B3Propagator reads both the single and the multi form, whichever way it injects.
    TextMapPropagator w3c = W3CTraceContextPropagator.getInstance();
    TextMapPropagator b3 = B3Propagator.injectingMultiHeaders();
    boolean preferW3c = formats.contains(PropagationFormat.W3C);
    this.extractors = preferW3c ? List.of(w3c, b3) : List.of(b3, w3c);
    Set<String> allFields = new LinkedHashSet<>();
    for (TextMapPropagator injector : injectors) {
      allFields.addAll(injector.fields());
    }
    allFields.add(REQUEST_ID);
    this.fields = List.copyOf(allFields);
    // Repair into both formats, so either extractor finds the repaired context; the preferred
    // format wins when they disagree. The SDK starts a trace when none is usable, and the
    // sidecar owns x-request-id: neither is invented here.
    this.repair = TraceContextRepair.create(RepairPolicy.defaults()
        .withOutputFormats(EnumSet.of(PropagationFormat.W3C, PropagationFormat.B3_MULTI))
        .withWinner(preferW3c ? PropagationFormat.W3C : PropagationFormat.B3_MULTI)
        .withAddRequestId(false)
        .withEdgeSampling(EdgeSampling.TRUST)
        .withStartTraceWhenAbsent(false)
        .withNewTraceSamplingPercent(deferredSamplingPercent));
  }

  private static TextMapPropagator propagatorFor(PropagationFormat format) {
    switch (format) {
      case W3C:
        return W3CTraceContextPropagator.getInstance();
      case B3_MULTI:
        return B3Propagator.injectingMultiHeaders();
      case B3_SINGLE:
        return B3Propagator.injectingSingleHeader();
      default:
        throw new IllegalArgumentException("unknown format " + format);
    }
  }

  Set<PropagationFormat> formats() {
    return formats;
  }

  @Override
  public Collection<String> fields() {
    return fields;
  }

  @Override
  public <C> void inject(Context context, C carrier, TextMapSetter<C> setter) {
    if (context == null || setter == null) {
      return;
    }
    for (TextMapPropagator injector : injectors) {
      injector.inject(context, carrier, setter);
    }
    String requestId = context.get(REQUEST_ID_KEY);
    if (requestId != null) {
      setter.set(carrier, REQUEST_ID, requestId);
    }
  }

  @Override
  public <C> Context extract(Context context, C carrier, TextMapGetter<C> getter) {
    if (context == null) {
      context = Context.root();
    }
    if (getter == null) {
      return context;
    }
    Context result = context;
    TraceHeaderSlots headers = TraceHeaderSlots.read(carrier, getter);
    if (!headers.isEmpty()) {
      RepairResult repaired = repair.repair(headers);
      if (repaired.verdict() != Verdict.PASS) {
        headers.apply(repaired.mutations());
      }
      for (TextMapPropagator extractor : extractors) {
        Context extracted = extractor.extract(context, headers, TraceHeaderSlots.GETTER);
        if (Span.fromContext(extracted).getSpanContext().isRemote()) {
          result = extracted;
          break;
        }
      }
    }
    String requestId = getter.get(carrier, REQUEST_ID);
    if (isRequestId(requestId)) {
      result = result.with(REQUEST_ID_KEY, requestId);
    }
    return result;
  }

  static boolean isRequestId(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_REQUEST_ID_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "MeshPropagator{" + formats + "}";
  }
}
