package io.meshtrace.sdk;

import io.meshtrace.context.HeaderMutation;
import io.meshtrace.context.RequestHeaders;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.Collections;
import java.util.List;

/**
 * The trace headers of one incoming request, one slot per header name, as trace-context's
 * repair engine reads them and, after its mutations, as OpenTelemetry's extractors read them.
 */
final class TraceHeaderSlots implements RequestHeaders {

  /** The headers the repair engine looks at, lower-case. */
  static final String[] NAMES = {
    "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid",
    "x-b3-sampled", "x-b3-flags", "b3",
  };

  /** Reads the slots back, whatever case the extractor asks in ({@code X-B3-TraceId}). */
  static final TextMapGetter<TraceHeaderSlots> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(TraceHeaderSlots carrier) {
      return Collections.emptyList();
    }

    @Override
    public String get(TraceHeaderSlots carrier, String key) {
      if (carrier == null || key == null) {
        return null;
      }
      int slot = slot(key);
      return slot < 0 ? null : carrier.values[slot];
    }
  };

  private final String[] values = new String[NAMES.length];
  /** Slots holding a value, in {@link #NAMES} order: the entries {@link RequestHeaders} lists. */
  private final int[] present = new int[NAMES.length];
  private int size;

  /** The trace headers {@code getter} finds in {@code carrier}. */
  static <C> TraceHeaderSlots read(C carrier, TextMapGetter<C> getter) {
    TraceHeaderSlots slots = new TraceHeaderSlots();
    for (int i = 0; i < NAMES.length; i++) {
      String value = getter.get(carrier, NAMES[i]);
      if (value != null) {
        slots.values[i] = value;
        slots.present[slots.size++] = i;
      }
    }
    return slots;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Applies the repair's sets and removes; names outside {@link #NAMES} are not read back. */
  void apply(List<HeaderMutation> mutations) {
    for (HeaderMutation mutation : mutations) {
      int slot = slot(mutation.name());
      if (slot >= 0) {
        values[slot] = mutation.isRemove() ? null : mutation.value();
      }
    }
  }

  private static int slot(String name) {
    for (int i = 0; i < NAMES.length; i++) {
      if (NAMES[i].equalsIgnoreCase(name)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public CharSequence name(int index) {
    return NAMES[present[index]];
  }

  @Override
  public int valueLength(int index) {
    return values[present[index]].length();
  }

  @Override
  public char valueCharAt(int index, int pos) {
    return values[present[index]].charAt(pos);
  }

  @Override
  public String valueString(int index) {
    return values[present[index]];
  }
}
