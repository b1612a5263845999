package io.meshtrace.context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An ordered, mutable list of header entries: applies mutations as ext_proc / Envoy would. */
final class HeaderList {
  final List<String> names = new ArrayList<>();
  final List<String> values = new ArrayList<>();

  static HeaderList of(String... nameValue) {
    HeaderList list = new HeaderList();
    for (int i = 0; i < nameValue.length; i += 2) {
      list.names.add(nameValue[i]);
      list.values.add(nameValue[i + 1]);
    }
    return list;
  }

  void add(String name, String value) {
    names.add(name);
    values.add(value);
  }

  HeaderList copy() {
    HeaderList copy = new HeaderList();
    copy.names.addAll(names);
    copy.values.addAll(values);
    return copy;
  }

  RequestHeaders view() {
    String[] pairs = new String[names.size() * 2];
    for (int i = 0; i < names.size(); i++) {
      pairs[2 * i] = names.get(i);
      pairs[2 * i + 1] = values.get(i);
    }
    return RequestHeaders.ofPairs(pairs);
  }

  /** A copy with the mutations applied: set replaces every occurrence, remove drops them. */
  HeaderList apply(List<HeaderMutation> mutations) {
    HeaderList out = copy();
    for (HeaderMutation mutation : mutations) {
      for (int i = out.names.size() - 1; i >= 0; i--) {
        if (out.names.get(i).equalsIgnoreCase(mutation.name())) {
          out.names.remove(i);
          out.values.remove(i);
        }
      }
      if (!mutation.isRemove()) {
        out.names.add(mutation.name());
        out.values.add(mutation.value());
      }
    }
    return out;
  }

  /** Last value of each name, lower-cased names, in first-seen order. */
  Map<String, String> toMap() {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      map.put(names.get(i).toLowerCase(java.util.Locale.ROOT), values.get(i));
    }
    return map;
  }

  int count(String name) {
    int n = 0;
    for (String each : names) {
      if (each.equalsIgnoreCase(name)) {
        n++;
      }
    }
    return n;
  }

  @Override
  public String toString() {
    return toMap().toString();
  }
}
