package io.meshtrace.context;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link TraceContextRepair#repair}: a verdict, the main reason, and the header
 * mutations to apply, in order. On {@link Verdict#PASS} this is the shared {@link #PASS}
 * instance with no mutations.
 *
 * <p>{@link #traceId()} and {@link #spanId()} are the lower-hex ids carried by the headers
 * written (32 and 16 chars), or null when no trace header is written (pass, or a request left
 * for Envoy to start its own trace).
 */
public final class RepairResult {

  /** The result for valid, complete input: nothing to change. */
  public static final RepairResult PASS =
      new RepairResult(Verdict.PASS, Reason.NONE, List.of(), null, null);

  private final Verdict verdict;
  private final Reason reason;
  private final List<HeaderMutation> mutations;
  private final String traceId;
  private final String spanId;
  private final boolean samplingDecided;

  RepairResult(
      Verdict verdict, Reason reason, List<HeaderMutation> mutations, String traceId, String spanId) {
    this(verdict, reason, mutations, traceId, spanId, false);
  }

  RepairResult(Verdict verdict, Reason reason, List<HeaderMutation> mutations, String traceId,
      String spanId, boolean samplingDecided) {
    this.samplingDecided = samplingDecided;
    this.verdict = Objects.requireNonNull(verdict, "verdict");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.mutations = Objects.requireNonNull(mutations, "mutations");
    this.traceId = traceId;
    this.spanId = spanId;
  }

  public Verdict verdict() {
    return verdict;
  }

  public Reason reason() {
    return reason;
  }

  /** Sets and removes to apply in order; empty on pass. Unmodifiable. */
  public List<HeaderMutation> mutations() {
    return mutations;
  }

  /** 32 lower-hex chars of the trace id written, or null. */
  public String traceId() {
    return traceId;
  }

  /** 16 lower-hex chars of the span id written, or null. */
  public String spanId() {
    return spanId;
  }

  /**
   * True when no sampling decision was carried on (the gateway started the trace, the
   * incoming context had none, or the edge policy dropped it) and, because W3C is written, the
   * gateway decided by {@link RepairPolicy#newTraceSamplingPercent()} and wrote that decision
   * to every output format. False on {@link #PASS}.
   */
  public boolean samplingDecided() {
    return samplingDecided;
  }

  @Override
  public String toString() {
    return "RepairResult{" + verdict + ", " + reason.code() + (samplingDecided ? ", sampling decided" : "")
        + ", " + mutations + "}";
  }
}
