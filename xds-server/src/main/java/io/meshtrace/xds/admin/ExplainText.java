package io.meshtrace.xds.admin;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The headline of trace-context's {@code explain} output, for the console: the verdict, the
 * reason and the ids sent on, read from the lines the command prints (its documented output)
 * next to the whole text.
 *
 * <pre>
 * verdict:  repair
 * reason:   b3-span-id-missing - x-b3-traceid without x-b3-spanid: ...
 * ...
 * trace id 80f198ee56343ba864fe8b2a57d3eff7, span id 5c9d372f037747f4: Envoy continues ...
 * </pre>
 */
final class ExplainText {

  private static final String VERDICT = "verdict:";
  private static final String REASON = "reason:";
  private static final String IDS = "trace id ";
  private static final String SPAN = ", span id ";

  private ExplainText() {}

  static Map<String, Object> read(String text, String skipped) {
    Map<String, Object> out = new LinkedHashMap<>();
    String verdict = null;
    String reason = null;
    String traceId = null;
    String spanId = null;
    for (String line : text.split("\n", -1)) {
      if (line.startsWith(VERDICT)) {
        verdict = line.substring(VERDICT.length()).trim();
      } else if (line.startsWith(REASON)) {
        reason = line.substring(REASON.length()).trim();
      } else if (line.startsWith(IDS) && line.contains(SPAN)) {
        int span = line.indexOf(SPAN);
        int colon = line.indexOf(':', span);
        traceId = line.substring(IDS.length(), span);
        spanId = line.substring(span + SPAN.length(), colon < 0 ? line.length() : colon);
      }
    }
    out.put("verdict", verdict);
    out.put("reason", reason);
    out.put("traceId", traceId);
    out.put("spanId", spanId);
    out.put("text", text);
    out.put("skipped", skipped.isBlank() ? null : skipped.trim());
    return out;
  }
}
