package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A million random and mutated header sets through engines of every policy. For each: no
 * exception; every written value valid (strict validators apart from the engine); no control
 * characters; every format carried on carries the same sampling decision (checked apart from
 * the engine, {@link WrittenHeaders#decisionDisagreement}); the {@code tracestate} carried on is
 * the one a plain reading of the rules gives ({@link ExpectedTracestate}); repairing the output passes (so
 * everything carried on agrees as the engine reads it); and for one case in 25, the full check
 * with OpenTelemetry's propagators reading every format back to the same ids.
 */
class RepairFuzzTest {
  private static final int CASES = 1_000_000;
  private static final int OTEL_SAMPLE = 25;
  private static final long SEED = 0x5eed_7ace_c0deL;

  private static final String[] TRACE_IDS = {
    "4bf92f3577b34da6a3ce929d0e0e4736", "80f198ee56343ba864fe8b2a57d3eff7", "463ac35c9f6413ad",
    "0000000000000000463ac35c9f6413ad", "00000000000000000000000000000000", "0000000000000000",
    "4BF92F3577B34DA6A3CE929D0E0E4736", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6", "", "-",
  };
  private static final String[] SPAN_IDS = {
    "00f067aa0ba902b7", "e457b5a2e4d86bd1", "05e3ac9a4f6e3b90", "0000000000000000",
    "E457B5A2E4D86BD1", "e457b5a2e4d86bd", "", "-", "e457b5a2e4d86bd1e",
  };
  private static final String[] TRACEPARENTS = {
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
    "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01",
    "00-0000000000000000463ac35c9f6413ad-e457b5a2e4d86bd1-01",
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future",
    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t",
  };
  private static final String[] TRACESTATES = {
    "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "fw529a3039@dt=ffffffff", " , congo=x ,", "",
    "Congo=x", "congo=a=b", "a=" + "x".repeat(300), "tenant@vendor=v,t2@v=w",
    "congo=1,rojo=2,congo=3", "t@v=1, ,t@v=1", "c*=1,ah=2",
    // the key grammar as W3C publishes it now, at and over its limits
    "foo@=1", "foo@@bar=1,congo=2", "@foo=1", "1congo=x", "tenant@averyverylongsystemid=1",
    "k" + "e".repeat(255) + "=1", "k" + "e".repeat(256) + "=1",
    "t".repeat(250) + "@vndr1=1", "t".repeat(250) + "@vndr12=1", "a@b=1,a@b=2,c=3,a@b=4",
  };
  private static final String[] B3_SINGLES = {
    "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90",
    "463ac35c9f6413ad-e457b5a2e4d86bd1", "463ac35c9f6413ad-e457b5a2e4d86bd1-d", "0", "1", "d",
    "f81d4fae-7dec-41d0-a765-00a0c91e6bf6", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
    "463ac35c9f6413ad-e457b5a2e4d86bd1-2", "463ac35c9f6413ad-e457b5a2e4d86bd1-05e3ac9a4f6e3b90",
  };
  private static final String[] SAMPLED = {"1", "0", "true", "false", "TRUE", "", "yes", "d", " 1"};
  private static final String[] FLAGS = {"1", "0", "2", "", "debug"};
  private static final String[] REQUEST_IDS = {"f81d4fae-7dec-41d0-a765-00a0c91e6bf6", "abc", ""};
  private static final String[] OTHER_NAMES = {":path", "user-agent", "x-ot-span-context", "accept"};
  private static final String[] OTHER_VALUES = {"/productpage", "curl/8.5.0", "4bf92f3577b34da6;00f067aa0ba902b7;0;sr", "*/*"};
  private static final String[] TRACE_NAMES = {
    "traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid",
    "x-b3-sampled", "x-b3-flags", "x-request-id",
  };
  private static final String ALPHABET =
      "0123456789abcdefABCDEF-,=;@*/_ \t\r\n\u0000\u007f\u00e9\uD83D\uDE00xyz";

  /** Ids from a seeded generator, never zero, so a failure reproduces. */
  static final class SeededIds implements IdGenerator {
    private final SplittableRandom random;

    SeededIds(long seed) {
      random = new SplittableRandom(seed);
    }

    @Override
    public long nextNonZeroLong() {
      long id;
      do {
        id = random.nextLong();
      } while (id == 0);
      return id;
    }
  }

  /**
   * Every combination of outputs, winner, edge policy, start and request id, each with
   * {@code newTraceSamplingPercent} 100 (the default), 0 and 37.5. Not 37.5 with the edge policy
   * {@code defer}: that policy drops the decision the gateway wrote and draws again, so its
   * output only passes a second time when the draw repeats.
   */
  static List<RepairPolicy> allPolicies() {
    List<Set<PropagationFormat>> outputs = new ArrayList<>();
    for (int mask = 1; mask < 8; mask++) {
      EnumSet<PropagationFormat> set = EnumSet.noneOf(PropagationFormat.class);
      for (PropagationFormat format : PropagationFormat.values()) {
        if ((mask & (1 << format.ordinal())) != 0) {
          set.add(format);
        }
      }
      outputs.add(set);
    }
    List<RepairPolicy> policies = new ArrayList<>();
    for (Set<PropagationFormat> out : outputs) {
      for (PropagationFormat winner : PropagationFormat.values()) {
        for (EdgeSampling sampling : EdgeSampling.values()) {
          for (boolean start : new boolean[] {true, false}) {
            for (boolean requestId : new boolean[] {true, false}) {
              RepairPolicy policy = new RepairPolicy(out, winner, requestId, sampling,
                  start ? 512 : 600, start);
              policies.add(policy);
              policies.add(policy.withNewTraceSamplingPercent(0));
              if (sampling != EdgeSampling.DEFER) {
                policies.add(policy.withNewTraceSamplingPercent(37.5));
              }
            }
          }
        }
      }
    }
    return policies;
  }

  @Test
  void repair_millionRandomAndMutatedHeaderSets_neverThrowsAlwaysWritesValidAgreeingHeaders() {
    SplittableRandom random = new SplittableRandom(SEED);
    List<RepairPolicy> policies = allPolicies();
    List<TraceContextRepair> engines = new ArrayList<>();
    for (int i = 0; i < policies.size(); i++) {
      engines.add(TraceContextRepair.create(policies.get(i), new SeededIds(SEED + i)));
    }
    int[] verdicts = new int[3];
    int[] reasons = new int[Reason.values().length];
    int decided = 0;
    long started = System.nanoTime();
    long cpuStarted = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    for (int n = 0; n < CASES; n++) {
      TraceContextRepair engine = engines.get(random.nextInt(engines.size()));
      HeaderList input = random.nextBoolean() ? coherent(random) : scrambled(random);
      RepairResult result;
      try {
        result = engine.repair(input.view());
      } catch (RuntimeException e) {
        throw new AssertionError("case " + n + " threw on " + input + " with " + engine.policy(), e);
      }
      verdicts[result.verdict().ordinal()]++;
      reasons[result.reason().ordinal()]++;
      for (HeaderMutation mutation : result.mutations()) {
        if (!mutation.isRemove()
            && !WrittenHeaders.isValid(mutation.name(), mutation.value(), engine.policy().tracestateLimit())) {
          throw new AssertionError("case " + n + " wrote an invalid " + mutation + " for " + input
              + " with " + engine.policy());
        }
      }
      if ((result.verdict() == Verdict.PASS) != (result == RepairResult.PASS)) {
        throw new AssertionError("case " + n + ": " + result);
      }
      if (n % OTEL_SAMPLE == 0) {
        WrittenHeaders.check(engine, input, result, true);
      } else {
        HeaderList output = input.apply(result.mutations());
        String disagreement = WrittenHeaders.decisionDisagreement(output.toMap(), engine.policy());
        if (disagreement != null) {
          throw new AssertionError("case " + n + ": sampling decisions disagree (" + disagreement
              + "): " + input + " -> " + output + " with " + engine.policy());
        }
        if (result.samplingDecided()) {
          decided++;
          if (!engine.policy().outputFormats().contains(PropagationFormat.W3C)) {
            throw new AssertionError("case " + n + ": decided without W3C: " + result);
          }
        }
        String tracestate = ExpectedTracestate.disagreement(input, output, engine.policy());
        if (tracestate != null) {
          throw new AssertionError("case " + n + ": " + tracestate + ": " + input + " -> " + output
              + " with " + engine.policy());
        }
        RepairResult again = engine.repair(output.view());
        if (again != RepairResult.PASS) {
          throw new AssertionError("case " + n + ": repairing the output does not pass: " + input
              + " -> " + output + " -> " + again + " with " + engine.policy());
        }
      }
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    long cpuMillis = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
        - cpuStarted) / 1_000_000;
    System.out.printf("%d cases in %d ms (%d ms CPU on this thread): pass %d, repair %d, regenerate %d,"
        + " sampling decided %d, main reason tracestate-duplicate-key %d, tracestate-invalid %d,"
        + " traceparent-zero-parent-id %d%n",
        CASES, millis, cpuMillis, verdicts[0], verdicts[1], verdicts[2], decided,
        reasons[Reason.TRACESTATE_DUPLICATE_KEY.ordinal()], reasons[Reason.TRACESTATE_INVALID.ordinal()],
        reasons[Reason.TRACEPARENT_ZERO_PARENT_ID.ordinal()]);
    assertThat(reasons[Reason.TRACESTATE_DUPLICATE_KEY.ordinal()]).isPositive();
    assertThat(reasons[Reason.TRACESTATE_INVALID.ordinal()]).isPositive();
    assertThat(reasons[Reason.TRACEPARENT_ZERO_PARENT_ID.ordinal()]).isPositive();
    assertThat(decided).isPositive();
    assertThat(verdicts[0]).isPositive();
    assertThat(verdicts[1]).isPositive();
    assertThat(verdicts[2]).isPositive();
  }

  /** A context written in several formats, sometimes disagreeing, then mutated a little. */
  static HeaderList coherent(SplittableRandom random) {
    HeaderList headers = new HeaderList();
    boolean narrow = random.nextInt(4) == 0;
    long high = narrow ? 0 : random.nextLong();
    long low = random.nextLong();
    long span = random.nextLong();
    long parent = random.nextInt(3) == 0 ? random.nextLong() : 0;
    int sampling = random.nextInt(4); // 0 defer, 1 accept, 2 deny, 3 debug
    String trace = narrow ? hex(low) : hex(high) + hex(low);
    String trace32 = hex(high) + hex(low);
    if (random.nextInt(10) < 6) {
      String flags = "0" + (sampling == 1 || sampling == 3 ? (random.nextBoolean() ? "1" : "3") : "0");
      headers.add("traceparent", "00-" + (random.nextInt(8) == 0 ? hex(random.nextLong()) + hex(low) : trace32)
          + "-" + hex(span) + "-" + flags);
      if (random.nextBoolean()) {
        headers.add("tracestate", tracestate(random));
      }
    }
    if (random.nextInt(10) < 3) {
      String sampled = sampling == 0 ? "" : sampling == 1 ? "-1" : sampling == 2 ? "-0" : "-d";
      headers.add("b3", trace + "-" + (random.nextInt(8) == 0 ? hex(random.nextLong()) : hex(span))
          + sampled + (parent != 0 && sampling != 0 ? "-" + hex(parent) : ""));
    }
    if (random.nextInt(10) < 6) {
      headers.add("x-b3-traceid", trace);
      if (random.nextInt(5) != 0) {
        headers.add("x-b3-spanid", hex(span));
      }
      if (parent != 0) {
        headers.add("x-b3-parentspanid", hex(parent));
      }
      if (sampling == 1 || sampling == 2) {
        headers.add("x-b3-sampled", sampling == 1 ? "1" : "0");
      } else if (sampling == 3) {
        headers.add("x-b3-flags", "1");
      }
    }
    if (random.nextBoolean()) {
      headers.add("x-request-id", REQUEST_IDS[0]);
    }
    if (random.nextInt(4) == 0) {
      headers.add(pick(random, OTHER_NAMES), pick(random, OTHER_VALUES));
    }
    int mutations = random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 0;
    for (int i = 0; i < mutations && !headers.names.isEmpty(); i++) {
      mutate(random, headers);
    }
    return headers;
  }

  /** Real good and bad values under trace header names, in random order and number. */
  static HeaderList scrambled(SplittableRandom random) {
    HeaderList headers = new HeaderList();
    int count = random.nextInt(9);
    for (int i = 0; i < count; i++) {
      String name = random.nextInt(6) == 0 ? pick(random, OTHER_NAMES) : pick(random, TRACE_NAMES);
      headers.add(name, valueFor(random, name));
    }
    int mutations = random.nextInt(4);
    for (int i = 0; i < mutations && !headers.names.isEmpty(); i++) {
      mutate(random, headers);
    }
    return headers;
  }

  static String valueFor(SplittableRandom random, String name) {
    switch (name) {
      case "traceparent":
        return pick(random, TRACEPARENTS);
      case "tracestate":
        return random.nextBoolean() ? pick(random, TRACESTATES) : tracestate(random);
      case "b3":
        return pick(random, B3_SINGLES);
      case "x-b3-traceid":
        return pick(random, TRACE_IDS);
      case "x-b3-spanid":
      case "x-b3-parentspanid":
        return pick(random, SPAN_IDS);
      case "x-b3-sampled":
        return pick(random, SAMPLED);
      case "x-b3-flags":
        return pick(random, FLAGS);
      case "x-request-id":
        return pick(random, REQUEST_IDS);
      default:
        return pick(random, OTHER_VALUES);
    }
  }

  static String tracestate(SplittableRandom random) {
    int members = random.nextInt(40);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < members; i++) {
      if (i > 0) {
        out.append(random.nextInt(10) == 0 ? " , " : ",");
      }
      int kind = random.nextInt(40);
      if (kind < 2) {
        out.append("t").append(i).append("@vendor");
      } else if (kind == 2) {
        out.append(i).append("@@").append(random.nextBoolean() ? "v" : ""); // '@' anywhere after the first
      } else if (kind == 3) {
        out.append('@').append("k").append(i); // '@' first: invalid
      } else if (kind == 4) {
        // 256 chars (valid) or 257 (invalid), sometimes with an '@' past the old 241 limit
        String key = "k" + i + (random.nextBoolean() ? "@" : "");
        out.append(key).append("z".repeat(255 - key.length() + random.nextInt(2) + 1));
      } else if (i > 0 && kind < 8) {
        out.append("k").append(random.nextInt(i)); // a repeated key
      } else {
        out.append("k").append(i);
      }
      out.append('=');
      int length = random.nextInt(10) == 0 ? 100 + random.nextInt(200) : 1 + random.nextInt(16);
      for (int c = 0; c < length; c++) {
        out.append((char) ('!' + random.nextInt(94)) == ',' || ('!' + random.nextInt(94)) == '='
            ? 'x' : (char) ('a' + random.nextInt(26)));
      }
    }
    return out.toString();
  }

  static void mutate(SplittableRandom random, HeaderList headers) {
    int i = random.nextInt(headers.names.size());
    String value = headers.values.get(i);
    String changed;
    switch (random.nextInt(10)) {
      case 0:
        changed = value.isEmpty() ? value
            : replaceAt(value, random.nextInt(value.length()), pick(random, ALPHABET));
        break;
      case 1:
        int at = random.nextInt(value.length() + 1);
        changed = value.substring(0, at) + pick(random, ALPHABET) + value.substring(at);
        break;
      case 2:
        if (value.isEmpty()) {
          changed = value;
        } else {
          int del = random.nextInt(value.length());
          changed = value.substring(0, del) + value.substring(del + 1);
        }
        break;
      case 3:
        changed = value.substring(0, random.nextInt(value.length() + 1));
        break;
      case 4:
        changed = value + "-" + hex(random.nextLong());
        break;
      case 5:
        changed = value.toUpperCase(java.util.Locale.ROOT);
        break;
      case 6:
        changed = (random.nextBoolean() ? " " : "\t") + value + (random.nextBoolean() ? "  " : "");
        break;
      case 7:
        headers.add(headers.names.get(i), random.nextBoolean() ? value : valueFor(random, headers.names.get(i)));
        return;
      case 8:
        changed = "";
        break;
      default:
        headers.names.set(i, headers.names.get(i).toUpperCase(java.util.Locale.ROOT));
        return;
    }
    headers.values.set(i, changed);
  }

  static String replaceAt(String value, int at, String with) {
    return value.substring(0, at) + with + value.substring(at + 1);
  }

  static String pick(SplittableRandom random, String[] values) {
    return values[random.nextInt(values.length)];
  }

  static String pick(SplittableRandom random, String alphabet) {
    int at = random.nextInt(alphabet.length());
    if (Character.isHighSurrogate(alphabet.charAt(at)) && at + 1 < alphabet.length()) {
      return alphabet.substring(at, at + 2);
    }
    return alphabet.substring(at, at + 1);
  }

  static String hex(long value) {
    String s = Long.toHexString(value);
    return "0".repeat(16 - s.length()) + s;
  }
}
