package io.meshtrace.context;

import java.nio.charset.StandardCharsets;
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
  public static final RepairResult PASS = new RepairResult(Verdict.PASS, Reason.NONE,
      new int[0], new byte[0], false, 0, 0, 0, false);

  private final Verdict verdict;
  private final Reason reason;
  /** One per mutation, in order, and the values they set: {@link MutationBuffer}'s layout. */
  private final int[] entries;
  private final byte[] values;
  private final boolean idsWritten;
  private final long traceHigh;
  private final long traceLow;
  private final long spanId;
  private final boolean samplingDecided;
  /** Made on first {@link #mutations()} call (a benign race: equal lists). */
  private List<HeaderMutation> mutations;

  RepairResult(Verdict verdict, Reason reason, int[] entries, byte[] values,
      boolean idsWritten, long traceHigh, long traceLow, long spanId, boolean samplingDecided) {
    this.verdict = Objects.requireNonNull(verdict, "verdict");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.entries = entries;
    this.values = values;
    this.idsWritten = idsWritten;
    this.traceHigh = traceHigh;
    this.traceLow = traceLow;
    this.spanId = spanId;
    this.samplingDecided = samplingDecided;
  }

  public Verdict verdict() {
    return verdict;
  }

  public Reason reason() {
    return reason;
  }

  /**
   * Sets and removes to apply in order; empty on pass. Unmodifiable. Makes the list on first
   * use: per request, read them through {@link #mutationCount()} and the accessors by index.
   */
  public List<HeaderMutation> mutations() {
    List<HeaderMutation> list = mutations;
    if (list == null) {
      HeaderMutation[] all = new HeaderMutation[entries.length];
      for (int i = 0; i < all.length; i++) {
        all[i] = new HeaderMutation(mutationName(i), mutationValue(i));
      }
      list = List.of(all);
      mutations = list;
    }
    return list;
  }

  /** Number of mutations; 0 on pass. */
  public int mutationCount() {
    return entries.length;
  }

  /** Lower-case name of mutation {@code i}. */
  public String mutationName(int i) {
    return MutationBuffer.name(entries[i]);
  }

  /** True when mutation {@code i} removes its header, false when it sets it. */
  public boolean isRemove(int i) {
    return MutationBuffer.isRemove(entries[i]);
  }

  /** Length in bytes (ASCII chars) of the value mutation {@code i} sets; 0 for a removal. */
  public int valueLength(int i) {
    return MutationBuffer.end(entries[i]) - valueStart(i);
  }

  /** Copies the value mutation {@code i} sets, {@link #valueLength} ASCII bytes, to {@code dest}. */
  public void copyValue(int i, byte[] dest, int pos) {
    System.arraycopy(values, valueStart(i), dest, pos, valueLength(i));
  }

  /** The value mutation {@code i} sets, or null for a removal (allocates). */
  public String mutationValue(int i) {
    return isRemove(i) ? null
        : new String(values, valueStart(i), valueLength(i), StandardCharsets.ISO_8859_1);
  }

  private int valueStart(int i) {
    return i == 0 ? 0 : MutationBuffer.end(entries[i - 1]);
  }

  /** 32 lower-hex chars of the trace id written, or null (allocates). */
  public String traceId() {
    return idsWritten ? HexCodec.toHex32(traceHigh, traceLow) : null;
  }

  /** 16 lower-hex chars of the span id written, or null (allocates). */
  public String spanId() {
    return idsWritten ? HexCodec.toHex16(spanId) : null;
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
        + ", " + mutations() + "}";
  }
}
