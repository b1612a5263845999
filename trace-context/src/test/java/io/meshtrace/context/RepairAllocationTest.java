package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pass path allocates nothing: measured with the JVM's per-thread allocation counter over
 * 100,000 calls after warm-up. The slack (under 1 KB in total, not per call) covers the
 * counter's own reads. A repair allocates its result only: at most 256 bytes for an incomplete
 * B3 (new span id, traceparent and x-b3-spanid written).
 */
class RepairAllocationTest {
  private static final int WARM_UP = 300_000;
  private static final int CALLS = 100_000;
  private static final long SLACK_BYTES = 1024;

  static Stream<Arguments> validInputs() {
    return Stream.of(
        Arguments.of("repair_validW3cB3AndTracestate_allocatesNothing", RepairPolicy.defaults(),
            RequestHeaders.ofPairs(
                ":method", "GET",
                ":path", "/productpage",
                "user-agent", "curl/8.5.0",
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,fw529a3039@dt=ffffffff",
                "x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736",
                "x-b3-spanid", "00f067aa0ba902b7",
                "x-b3-parentspanid", "05e3ac9a4f6e3b90",
                "x-b3-sampled", "1",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6",
                "x-ot-span-context", "4bf92f3577b34da6;00f067aa0ba902b7;0;sr")),
        Arguments.of("repair_validW3cB3And32MemberTracestate_allocatesNothing",
            RepairPolicy.defaults().withNewTraceSamplingPercent(12.5),
            RequestHeaders.ofPairs(
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
                "tracestate", thirtyTwoMembers(),
                "x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736",
                "x-b3-spanid", "00f067aa0ba902b7",
                "x-b3-sampled", "0",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6")),
        Arguments.of("repair_validTracestateCurrentKeyGrammar_allocatesNothing", RepairPolicy.defaults(),
            RequestHeaders.ofPairs(
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                // a 256-char key with its '@' past the old 241-char tenant limit (under 512 in all)
                "tracestate", "foo@=1,foo@@bar=2,1congo=3,foo=4," + "t".repeat(250) + "@vndr1=5",
                "x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736",
                "x-b3-spanid", "00f067aa0ba902b7",
                "x-b3-sampled", "1",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6")),
        Arguments.of("repair_validB3SingleAnd16HexMulti_allocatesNothing",
            RepairPolicy.defaults().withOutputFormats(
                java.util.EnumSet.of(PropagationFormat.B3_SINGLE, PropagationFormat.B3_MULTI)),
            RequestHeaders.ofPairs(
                "b3", "463ac35c9f6413ad-e457b5a2e4d86bd1-d",
                "x-b3-traceid", "463ac35c9f6413ad",
                "x-b3-spanid", "e457b5a2e4d86bd1",
                "x-b3-flags", "1",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6")),
        Arguments.of("repair_validB3MultiUnderB3MultiMesh_allocatesNothing", mesh(PropagationFormat.B3_MULTI),
            RequestHeaders.ofPairs(
                ":authority", "bookinfo.example.com",
                ":path", "/productpage",
                "user-agent", "curl/8.5.0",
                "x-forwarded-for", "203.0.113.17",
                "x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7",
                "x-b3-spanid", "e457b5a2e4d86bd1",
                "x-b3-parentspanid", "05e3ac9a4f6e3b90",
                "x-b3-sampled", "1",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6")),
        Arguments.of("repair_valid16HexB3MultiUnderB3MultiMesh_allocatesNothing", mesh(PropagationFormat.B3_MULTI),
            RequestHeaders.ofPairs(
                "x-b3-traceid", "463ac35c9f6413ad",
                "x-b3-spanid", "e457b5a2e4d86bd1",
                "x-b3-flags", "1",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6")),
        Arguments.of("repair_validB3SingleUnderB3SingleMesh_allocatesNothing", mesh(PropagationFormat.B3_SINGLE),
            RequestHeaders.ofPairs(
                ":authority", "bookinfo.example.com",
                ":path", "/productpage",
                "user-agent", "curl/8.5.0",
                "b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6")),
        Arguments.of("repair_valid16HexB3SingleWithoutParentUnderB3SingleMesh_allocatesNothing",
            mesh(PropagationFormat.B3_SINGLE),
            RequestHeaders.ofPairs(
                "b3", "463ac35c9f6413ad-e457b5a2e4d86bd1-0",
                "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6")));
  }

  /** A mesh that propagates {@code format} only (the input is then complete and passes). */
  private static RepairPolicy mesh(PropagationFormat format) {
    return RepairPolicy.defaults().withOutputFormats(java.util.EnumSet.of(format)).withWinner(format);
  }

  /** 32 members, empty ones between, keys sharing prefixes and a String hash ("c*", "ah"). */
  static String thirtyTwoMembers() {
    StringBuilder out = new StringBuilder("c*=1, ,ah=2,\t,");
    for (int i = 0; i < 30; i++) {
      out.append(i == 0 ? "" : ",").append("congo").append(i).append("=t61rcW");
    }
    return out.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validInputs")
  void passPath(String name, RepairPolicy policy, RequestHeaders headers) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
    threads.setThreadAllocatedMemoryEnabled(true);
    TraceContextRepair engine = TraceContextRepair.create(policy);
    assertThat(engine.repair(headers)).isSameAs(RepairResult.PASS);

    int passes = 0;
    for (int i = 0; i < WARM_UP; i++) {
      passes += engine.repair(headers) == RepairResult.PASS ? 1 : 0;
    }
    long threadId = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(threadId);
    for (int i = 0; i < CALLS; i++) {
      passes += engine.repair(headers) == RepairResult.PASS ? 1 : 0;
    }
    long allocated = threads.getThreadAllocatedBytes(threadId) - before;

    System.out.printf("%s: %d bytes over %d calls%n", name, allocated, CALLS);
    assertThat(passes).isEqualTo(WARM_UP + CALLS);
    assertThat(allocated).as("bytes allocated by %d passes", CALLS).isLessThan(SLACK_BYTES);
  }

  @org.junit.jupiter.api.Test
  void repairPath_incompleteB3_allocatesAtMost256BytesPerRepair() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    threads.setThreadAllocatedMemoryEnabled(true);
    TraceContextRepair engine = TraceContextRepair.create(RepairPolicy.defaults());
    RequestHeaders headers = RequestHeaders.ofPairs(
        ":method", "GET",
        ":path", "/productpage",
        "x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7",
        "x-b3-sampled", "1",
        "x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
    RepairResult first = engine.repair(headers);
    assertThat(first.verdict()).isEqualTo(Verdict.REPAIR);
    assertThat(first.mutationCount()).isEqualTo(2);

    int repairs = 0;
    for (int i = 0; i < WARM_UP; i++) {
      repairs += engine.repair(headers).mutationCount();
    }
    long threadId = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(threadId);
    for (int i = 0; i < CALLS; i++) {
      repairs += engine.repair(headers).mutationCount();
    }
    long allocated = threads.getThreadAllocatedBytes(threadId) - before;

    System.out.printf("repair of incomplete B3: %d bytes over %d calls%n", allocated, CALLS);
    assertThat(repairs).isEqualTo(2 * (WARM_UP + CALLS));
    assertThat(allocated).as("bytes allocated by %d repairs", CALLS)
        .isLessThanOrEqualTo(256L * CALLS + SLACK_BYTES);
  }
}
