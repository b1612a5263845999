package io.meshtrace.sdk.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated trace headers: forwarding never throws, never forwards a value with a
 * control or non-ASCII char, and the trace formats it forwards agree on the trace id.
 */
class HeaderForwardingFuzzTest {

  private static final String[] SEEDS = {
    "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01",
    "80f198ee56343ba864fe8b2a57d3eff7",
    "e457b5a2e4d86bd1",
    "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90",
    "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
    "8d7b6f2e-31a4-4c2b-9f1d-0a1b2c3d4e5f",
    "1", "0", "d", "true", "", " ", "-",
  };
  private static final String ALPHABET = "0123456789abcdefABCDEF-=,; \t\r\n\u0000\u00e9\ud83d\ude00xyz";

  @Test
  void forward_randomAndMutatedHeaders_neverThrowsNeverForwardsUnsafeValuesFormatsAgree() {
    Random random = new Random(20261121L);
    HeaderForwarding forwarding = HeaderForwarding.create();
    int bothFormats = 0;
    for (int i = 0; i < 20_000; i++) {
      Map<String, List<String>> incoming = new HashMap<>();
      int count = random.nextInt(6);
      for (int h = 0; h < count; h++) {
        String name = HeaderForwarding.TRACE_HEADERS.get(random.nextInt(HeaderForwarding.TRACE_HEADERS.size()));
        if (random.nextInt(4) == 0) {
          name = name.toUpperCase(java.util.Locale.ROOT);
        }
        incoming.computeIfAbsent(name, k -> new ArrayList<>()).add(value(random));
      }

      ForwardedHeaders out = forwarding.from(incoming);

      for (Map.Entry<String, String> header : out.asMap().entrySet()) {
        assertThat(HeaderForwarding.TRACE_HEADERS).contains(header.getKey());
        assertThat(TraceHeaderView.isSafeValue(header.getValue()))
            .as("%s: %s from %s", header.getKey(), header.getValue(), incoming).isTrue();
      }
      String w3c = traceId(W3CTraceContextPropagator.getInstance().extract(Context.root(), out.asMap(), HeaderForwardingTest.GETTER));
      Map<String, String> multi = new HashMap<>(out.asMap());
      multi.remove("b3");
      String b3 = traceId(B3Propagator.injectingMultiHeaders().extract(Context.root(), multi, HeaderForwardingTest.GETTER));
      if (w3c != null && b3 != null) {
        bothFormats++;
        assertThat(b3).as("formats agree for %s -> %s", incoming, out).isEqualTo(w3c);
      }
    }
    assertThat(bothFormats).as("cases forwarding both W3C and B3").isGreaterThan(200);
  }

  private static String value(Random random) {
    String seed = SEEDS[random.nextInt(SEEDS.length)];
    StringBuilder value = new StringBuilder(seed);
    int mutations = random.nextInt(4);
    for (int m = 0; m < mutations && value.length() > 0; m++) {
      int pos = random.nextInt(value.length());
      switch (random.nextInt(3)) {
        case 0 -> value.setCharAt(pos, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        case 1 -> value.deleteCharAt(pos);
        default -> value.insert(pos, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
    }
    return value.toString();
  }

  private static String traceId(Context context) {
    SpanContext span = Span.fromContext(context).getSpanContext();
    return span.isValid() ? span.getTraceId() : null;
  }
}
