package io.meshtrace.context;

import java.util.Objects;

/**
 * The gateway's trace context repair engine: reads a request's trace headers (W3C
 * {@code traceparent}/{@code tracestate}, B3 multi and single, {@code x-request-id}), decides
 * pass / repair / regenerate per {@code docs/header-rules.md}, and returns the header mutations.
 *
 * <p>Thread-safe and allocation-free on the pass path: create one per policy and share it.
 *
 * <pre>{@code
 * TraceContextRepair repair = TraceContextRepair.create(RepairPolicy.defaults());
 * RepairResult result = repair.repair(headers);
 * // x-b3-traceid: 463ac35c9f6413ad48485a3953bb6124 without x-b3-spanid
 * //   -> REPAIR, b3-span-id-missing, set x-b3-spanid, set traceparent (same trace id)
 * }</pre>
 */
public final class TraceContextRepair {

  /** Per-thread scratch state: the pass path must not allocate. */
  private static final ThreadLocal<RepairRun> RUNS = ThreadLocal.withInitial(RepairRun::new);

  private final RepairPolicy policy;
  private final IdGenerator ids;
  /** {@link RepairRun#outputMask} of the policy, computed once rather than per request. */
  private final int outputs;

  private TraceContextRepair(RepairPolicy policy, IdGenerator ids) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.ids = Objects.requireNonNull(ids, "ids");
    this.outputs = RepairRun.outputMask(policy);
  }

  public static TraceContextRepair create(RepairPolicy policy) {
    return new TraceContextRepair(policy, IdGenerator.random());
  }

  public static TraceContextRepair create(RepairPolicy policy, IdGenerator ids) {
    return new TraceContextRepair(policy, ids);
  }

  public RepairPolicy policy() {
    return policy;
  }

  /**
   * Decides pass / repair / regenerate for one request. Never throws on malformed header
   * values; every header it writes is valid in its format and free of control characters.
   * Returns the shared {@link RepairResult#PASS} (and allocates nothing) when no change is
   * needed.
   */
  public RepairResult repair(RequestHeaders headers) {
    Objects.requireNonNull(headers, "headers");
    return RUNS.get().run(headers, policy, outputs, ids);
  }
}
