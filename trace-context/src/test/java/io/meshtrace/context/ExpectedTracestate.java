package io.meshtrace.context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code tracestate} the header rules demand for a request, computed the way a reader of
 * the rules would write it: join, split, trim, regular expressions, a {@link LinkedHashMap}.
 * Kept apart from the engine's one-pass scanner so that the two can be compared (the table
 * rows and every fuzz case).
 *
 * <ul>
 *   <li>It is carried on only next to exactly one usable {@code traceparent} whose trace id the
 *       request still carries after the repair; otherwise it is dropped.
 *   <li>Several headers are joined with {@code ,}; more than 32 members (as received, repeats
 *       included) or a member that breaks the grammar drops it whole.
 *   <li>A repeated key keeps the first member with it.
 *   <li>Joined, deduplicated or over the limit, it is rewritten as its members joined by
 *       {@code ,}, truncated by whole members (those over 128 chars first, from the right,
 *       then from the right); otherwise it is carried exactly as it arrived.
 * </ul>
 */
final class ExpectedTracestate {
  /** The key grammar W3C publishes now: {@code (lcalpha / DIGIT) 0*255(keychar)}, {@code @} a keychar. */
  static final String KEY = "[a-z0-9][a-z0-9_\\-*/@]{0,255}";
  static final String VALUE = "[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]";
  static final Pattern MEMBER = Pattern.compile(KEY + "=" + VALUE);

  /** A usable traceparent, trimmed: version 00 at exactly 55 chars, or a later one (not ff). */
  private static final Pattern TRACEPARENT = Pattern.compile(
      "(00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}"
          + "|(?!00|ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}(-.*)?)",
      Pattern.DOTALL);

  private ExpectedTracestate() {}

  /**
   * Null when the {@code tracestate} carried on in {@code output} is what the rules demand for
   * {@code input}, else a description of the difference.
   */
  static String disagreement(HeaderList input, HeaderList output, RepairPolicy policy) {
    if (output.count("tracestate") > 1) {
      return "several tracestate headers carried on";
    }
    String expected = carried(input, output) ? expected(values(input), policy.tracestateLimit()) : null;
    String actual = output.count("tracestate") == 1 ? output.toMap().get("tracestate") : null;
    if (expected == null ? actual == null : expected.equals(actual)) {
      return null;
    }
    return "tracestate carried on is " + (actual == null ? "absent" : "'" + actual + "'")
        + ", the rules demand " + (expected == null ? "none" : "'" + expected + "'");
  }

  /** One usable traceparent arrived and its trace id is still the request's after the repair. */
  private static boolean carried(HeaderList input, HeaderList output) {
    if (input.count("traceparent") != 1 || output.count("traceparent") != 1) {
      return false;
    }
    String in = trim(input.toMap().get("traceparent"));
    if (!TRACEPARENT.matcher(in).matches()) {
      return false;
    }
    String out = output.toMap().get("traceparent");
    return out.length() >= 35 && out.substring(3, 35).equals(in.substring(3, 35));
  }

  private static List<String> values(HeaderList headers) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < headers.names.size(); i++) {
      if (headers.names.get(i).equalsIgnoreCase("tracestate")) {
        values.add(headers.values.get(i));
      }
    }
    return values;
  }

  /** The rules applied to the values of the {@code tracestate} headers as they arrived. */
  static String expected(List<String> values, int limit) {
    if (values.isEmpty()) {
      return null;
    }
    String joined = String.join(",", values);
    List<String> members = new ArrayList<>();
    for (String part : joined.split(",", -1)) {
      String member = trim(part);
      if (!member.isEmpty()) {
        members.add(member);
      }
    }
    if (members.size() > 32) {
      return null;
    }
    Map<String, String> firstOfEachKey = new LinkedHashMap<>();
    for (String member : members) {
      if (!MEMBER.matcher(member).matches()) {
        return null;
      }
      firstOfEachKey.putIfAbsent(member.substring(0, member.indexOf('=')), member);
    }
    if (values.size() == 1 && firstOfEachKey.size() == members.size() && joined.length() <= limit) {
      return joined;
    }
    List<String> kept = new ArrayList<>(firstOfEachKey.values());
    int total = String.join(",", kept).length();
    for (int i = kept.size() - 1; i >= 0 && total > limit; i--) {
      if (kept.get(i).length() > 128) {
        total -= kept.remove(i).length() + 1;
      }
    }
    for (int i = kept.size() - 1; i >= 0 && total > limit; i--) {
      total -= kept.remove(i).length() + 1;
    }
    return kept.isEmpty() ? null : String.join(",", kept);
  }

  private static String trim(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
      start++;
    }
    while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
      end--;
    }
    return value.substring(start, end);
  }
}
