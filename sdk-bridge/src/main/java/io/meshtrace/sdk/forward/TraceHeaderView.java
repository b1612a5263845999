package io.meshtrace.sdk.forward;

import io.meshtrace.context.RequestHeaders;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The trace headers of one request, in arrival order, as trace-context reads them. */
final class TraceHeaderView implements RequestHeaders {

  private final List<String> names = new ArrayList<>();
  private final List<String> values = new ArrayList<>();

  void add(String lowerCaseName, String value) {
    names.add(lowerCaseName);
    values.add(value == null ? "" : value);
  }

  @Override
  public int size() {
    return names.size();
  }

  @Override
  public CharSequence name(int index) {
    return names.get(index);
  }

  @Override
  public int valueLength(int index) {
    return values.get(index).length();
  }

  @Override
  public char valueCharAt(int index, int pos) {
    return values.get(index).charAt(pos);
  }

  @Override
  public String valueString(int index) {
    return values.get(index);
  }

  /** Name to values in arrival order; a fresh, mutable copy. */
  Map<String, List<String>> asMultiMap() {
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      map.computeIfAbsent(names.get(i), k -> new ArrayList<>(1)).add(values.get(i));
    }
    return map;
  }

  /** Printable ASCII (and tab) only: nothing that could split or smuggle a header. */
  static boolean isSafeValue(String value) {
    if (value == null || value.isEmpty()) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < ' ' && c != '\t') || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
