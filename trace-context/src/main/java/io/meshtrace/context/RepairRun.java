package io.meshtrace.context;

/**
 * One repair, start to end: scan the headers once, parse each format, choose the context that
 * wins, then compare every format against it and emit only what differs. Instances are
 * mutable and reused per thread ({@link TraceContextRepair} keeps one in a
 * {@link ThreadLocal}), so valid input allocates nothing.
 *
 * <p>Choosing the context: the first format in precedence order that has a valid trace id is
 * the source. Precedence is W3C, B3 single, B3 multi when the policy's winner is W3C, else B3
 * single, B3 multi, W3C (within B3 the single header wins, as in the B3 spec). A source
 * without a usable span id takes the span id of another format with the same trace id, else a
 * new one. A source without a decision takes one from another format with the same trace id.
 * Then the edge sampling policy is applied. When no decision is left and W3C is an output,
 * the gateway decides ({@link RepairPolicy#newTraceSamplingPercent()}): W3C cannot say "no
 * decision", and every format written must carry the same one.
 *
 * <p>Formats configured as outputs are written to carry that context. A format that is not
 * an output is left when it is valid, complete and agrees, and removed otherwise (removing is
 * safer than rewriting a format the operator did not ask for).
 */
final class RepairRun {
  private static final String SAMPLED_ACCEPT = "1";
  private static final String SAMPLED_DENY = "0";
  private static final String FLAGS_DEBUG = "1";

  private final ParsedContext w3c = new ParsedContext();
  private final ParsedContext single = new ParsedContext();
  private final ParsedContext multi = new ParsedContext();
  private final B3MultiCodec multiFields = new B3MultiCodec();
  private final TracestateCodec.Members members = new TracestateCodec.Members();
  private final MutationBuffer out = new MutationBuffer();

  /** The policy's output formats, {@link #outputMask} bits. */
  private int outputs;

  private int traceparentIndex;
  private int traceparentCount;
  private int tracestateIndex;
  private int tracestateCount;
  private int b3Index;
  private int b3Count;
  private int requestIdCount;

  /** The source, or null when no format has a usable trace id. */
  private ParsedContext source;
  /** True when a context (source or new trace) is to be carried by the output formats. */
  private boolean hasTarget;
  private boolean newTrace;
  private long traceHigh;
  private long traceLow;
  private int traceWidth;
  private long spanId;
  private long parentId;
  private SamplingState sampling;
  private int randomFlag;
  private boolean policyChanged;
  /** No decision was carried on and W3C is written: the gateway decided. */
  private boolean samplingDecided;

  private Reason reason;
  private boolean idsWritten;
  private boolean brokenRemoved;

  /** One bit per output format, by ordinal: the per-request check is a mask test. */
  static int outputMask(RepairPolicy policy) {
    int mask = 0;
    for (PropagationFormat format : policy.outputFormats()) {
      mask |= 1 << format.ordinal();
    }
    return mask;
  }

  private boolean isOutput(PropagationFormat format) {
    return (outputs & (1 << format.ordinal())) != 0;
  }

  RepairResult run(RequestHeaders headers, RepairPolicy policy, int outputs, IdGenerator ids) {
    this.outputs = outputs;
    reset();
    scan(headers);
    parse(headers);
    choose(policy, ids);
    emitW3c(headers, policy);
    emitB3Single(policy);
    emitB3Multi(policy);
    if (requestIdCount == 0 && policy.addRequestId()) {
      out.setWritten(MutationBuffer.REQUEST_ID,
          RequestIdWriter.uuidV4(ids, out.reserve(RequestIdWriter.LENGTH), out.position()));
      note(Reason.REQUEST_ID_MISSING);
    }
    if (out.isEmpty()) {
      return RepairResult.PASS;
    }
    Verdict verdict = source == null && (newTrace || brokenRemoved) ? Verdict.REGENERATE : Verdict.REPAIR;
    return out.result(verdict, reason, idsWritten, traceHigh, traceLow, spanId, samplingDecided);
  }

  private void reset() {
    w3c.resetIfUsed();
    single.resetIfUsed();
    multi.resetIfUsed();
    multiFields.reset();
    traceparentCount = 0;
    tracestateCount = 0;
    b3Count = 0;
    requestIdCount = 0;
    source = null;
    hasTarget = false;
    newTrace = false;
    traceHigh = 0;
    traceLow = 0;
    traceWidth = 32;
    spanId = 0;
    parentId = 0;
    sampling = SamplingState.DEFER;
    randomFlag = 0;
    policyChanged = false;
    samplingDecided = false;
    reason = Reason.NONE;
    out.reset();
    idsWritten = false;
    brokenRemoved = false;
  }

  private void scan(RequestHeaders headers) {
    for (int i = 0, size = headers.size(); i < size; i++) {
      int kind = HeaderName.kind(headers.name(i));
      switch (kind) {
        case HeaderName.OTHER:
          break;
        case HeaderName.TRACEPARENT:
          if (traceparentCount++ == 0) {
            traceparentIndex = i;
          }
          break;
        case HeaderName.TRACESTATE:
          if (tracestateCount++ == 0) {
            tracestateIndex = i;
          }
          break;
        case HeaderName.B3_SINGLE:
          if (b3Count++ == 0) {
            b3Index = i;
          }
          break;
        case HeaderName.REQUEST_ID_KIND:
          requestIdCount++;
          break;
        default:
          multiFields.see(kind - HeaderName.B3_MULTI_BASE, i);
      }
    }
  }

  private void parse(RequestHeaders headers) {
    if (traceparentCount != 0) {
      w3c.used = true;
    }
    if (b3Count != 0) {
      single.used = true;
    }
    boolean multiPresent = multiFields.present();
    if (multiPresent) {
      multi.used = true;
    }
    if (traceparentCount == 1) {
      TraceparentCodec.parse(headers, traceparentIndex, w3c);
    } else if (traceparentCount > 1) {
      w3c.status = ParsedContext.INVALID;
      w3c.note(Reason.TRACEPARENT_REPEATED);
    }
    if (b3Count == 1) {
      B3SingleCodec.parse(headers, b3Index, single);
    } else if (b3Count > 1) {
      single.status = ParsedContext.INVALID;
      single.note(Reason.B3_SINGLE_INVALID);
    }
    if (multiPresent) {
      multiFields.parse(headers, multi);
      if (multi.status == ParsedContext.ABSENT) {
        multi.status = ParsedContext.INVALID;
      }
    }
    note(w3c.problem);
    note(single.problem);
    note(multi.problem);
  }

  private ParsedContext format(int precedence, PropagationFormat winner) {
    if (winner == PropagationFormat.W3C) {
      return precedence == 0 ? w3c : precedence == 1 ? single : multi;
    }
    return precedence == 0 ? single : precedence == 1 ? multi : w3c;
  }

  private void choose(RepairPolicy policy, IdGenerator ids) {
    PropagationFormat winner = policy.winner();
    for (int p = 0; p < 3 && source == null; p++) {
      ParsedContext candidate = format(p, winner);
      if (candidate.hasTraceId) {
        source = candidate;
      }
    }
    if (source != null) {
      hasTarget = true;
      traceHigh = source.traceHigh;
      traceLow = source.traceLow;
      traceWidth = source == w3c ? 32 : source.traceWidth;
      spanId = source.spanId;
      for (int p = 0; p < 3 && spanId == 0; p++) {
        ParsedContext other = format(p, winner);
        if (other != source && other.sameTrace(traceHigh, traceLow)) {
          spanId = other.spanId;
        }
      }
      boolean spanFromInput = spanId != 0;
      if (!spanFromInput) {
        spanId = nextId(ids);
      }
      sampling = source.sampling;
      if (source == w3c) {
        // W3C's one bit is coarser than B3: unset is "deny" or "no decision", set is "accept"
        // or "debug". A B3 header of the same trace with the same bit tells which.
        int bit = sampling.w3cSampledBit();
        for (int p = 0; p < 3; p++) {
          ParsedContext other = format(p, winner);
          if (other != w3c && other.sameTrace(traceHigh, traceLow)
              && other.sampling.w3cSampledBit() == bit) {
            sampling = other.sampling;
            break;
          }
        }
      } else {
        for (int p = 0; p < 3 && sampling == SamplingState.DEFER; p++) {
          ParsedContext other = format(p, winner);
          if (other != source && other.sameTrace(traceHigh, traceLow)
              && (other != w3c || other.sampling == SamplingState.ACCEPT)) {
            sampling = other.sampling;
          }
        }
      }
      if (spanFromInput) {
        if (single.sameTrace(traceHigh, traceLow) && single.spanId == spanId && single.parentId != 0) {
          parentId = single.parentId;
        } else if (multi.sameTrace(traceHigh, traceLow) && multi.spanId == spanId) {
          parentId = multi.parentId;
        }
      }
      randomFlag = w3c.sameTrace(traceHigh, traceLow)
          ? w3c.w3cFlags & TraceparentCodec.FLAG_RANDOM_TRACE_ID : 0;
    } else {
      boolean singleDecision = single.decisionOnly && single.status != ParsedContext.INVALID;
      sampling = singleDecision ? single.sampling : multi.sampling;
      boolean anyHeader = w3c.status != ParsedContext.ABSENT || single.status != ParsedContext.ABSENT
          || multi.status != ParsedContext.ABSENT || tracestateCount > 0;
      if (!anyHeader) {
        note(Reason.NO_CONTEXT);
      } else if (singleDecision || multi.decisionOnly) {
        note(Reason.DECISION_ONLY);
      }
      if (policy.startTraceWhenAbsent()) {
        hasTarget = true;
        newTrace = true;
        traceHigh = nextId(ids);
        traceLow = nextId(ids);
        traceWidth = 32;
        spanId = nextId(ids);
        randomFlag = TraceparentCodec.FLAG_RANDOM_TRACE_ID;
      }
    }
    SamplingState received = sampling;
    switch (policy.edgeSampling()) {
      case DEFER:
        sampling = SamplingState.DEFER;
        break;
      case DENY_FORCED:
        if (sampling == SamplingState.DEBUG) {
          sampling = SamplingState.DEFER;
        }
        break;
      default:
        break;
    }
    policyChanged = received != sampling;
    // W3C has no "no decision": an unset sampled bit reads as "not sampled", and Envoy's
    // OpenTelemetry tracer follows it. Writing W3C, the gateway decides, once for all formats.
    if (sampling == SamplingState.DEFER && hasTarget
        && isOutput(PropagationFormat.W3C)) {
      sampling = sample(policy.newTraceSamplingPercent(), ids)
          ? SamplingState.ACCEPT : SamplingState.DENY;
      samplingDecided = true;
    }
  }

  /** True with probability {@code percent / 100}; no draw at 0 and 100. */
  private static boolean sample(double percent, IdGenerator ids) {
    if (percent >= 100.0) {
      return true;
    }
    if (percent <= 0.0) {
      return false;
    }
    double fraction = ids.nextSamplingFraction();
    if (!(fraction >= 0.0 && fraction < 1.0)) {
      fraction = IdGenerator.random().nextSamplingFraction();
    }
    return fraction * 100.0 < percent;
  }

  // ---------------------------------------------------------------- W3C

  private void emitW3c(RequestHeaders headers, RepairPolicy policy) {
    boolean output = isOutput(PropagationFormat.W3C);
    boolean present = w3c.status != ParsedContext.ABSENT;
    if (!hasTarget) {
      if (present) {
        out.remove(MutationBuffer.TRACEPARENT);
        brokenRemoved = true;
      }
      if (tracestateCount > 0) {
        out.remove(MutationBuffer.TRACESTATE);
        note(Reason.TRACESTATE_ORPHAN);
      }
      return;
    }
    int flags = sampling.w3cSampledBit() | randomFlag;
    boolean sameTrace = w3c.sameTrace(traceHigh, traceLow);
    boolean agrees = sameTrace && w3c.spanId == spanId && w3c.w3cFlags == flags;
    boolean keep = w3c.status == ParsedContext.VALID && agrees;
    boolean carried;
    if (output) {
      if (!keep) {
        out.setWritten(MutationBuffer.TRACEPARENT, TraceparentCodec.write(traceHigh, traceLow,
            spanId, flags, out.reserve(TraceparentCodec.LENGTH), out.position()));
        idsWritten = true;
        noteMismatch(w3c, sameTrace && w3c.spanId == spanId);
      }
      carried = true;
    } else {
      if (present && !keep) {
        out.remove(MutationBuffer.TRACEPARENT);
        noteMismatch(w3c, sameTrace && w3c.spanId == spanId);
        if (!w3c.hasTraceId) {
          brokenRemoved = true;
        }
      }
      carried = keep;
    }
    if (tracestateCount == 0) {
      return;
    }
    if (carried && sameTrace) {
      emitTracestate(headers, policy.tracestateLimit());
    } else {
      out.remove(MutationBuffer.TRACESTATE);
      note(w3c.hasTraceId ? Reason.FORMATS_DISAGREE : Reason.TRACESTATE_ORPHAN);
    }
  }

  private void emitTracestate(RequestHeaders headers, int limit) {
    RequestHeaders values = headers;
    int index = tracestateIndex;
    if (tracestateCount > 1) {
      note(Reason.TRACESTATE_REPEATED);
      values = RequestHeaders.ofPairs(TracestateCodec.NAME, joinTracestate(headers));
      index = 0;
    }
    int count = TracestateCodec.scan(values, index, members);
    if (count < 0) {
      out.remove(MutationBuffer.TRACESTATE);
      note(Reason.TRACESTATE_INVALID);
      return;
    }
    // A repeated key is not invalid: the first member with it is kept, the later ones go.
    boolean duplicates = members.duplicates != 0;
    if (duplicates) {
      note(Reason.TRACESTATE_DUPLICATE_KEY);
    }
    boolean tooLong = values.valueLength(index) > limit;
    if (!tooLong && tracestateCount == 1 && !duplicates) {
      return;
    }
    if (tooLong) {
      note(Reason.TRACESTATE_TOO_LONG);
    }
    String normalized =
        TracestateCodec.normalize(values, index, members.starts, members.ends, count, limit);
    if (normalized == null) {
      out.remove(MutationBuffer.TRACESTATE);
    } else {
      out.set(MutationBuffer.TRACESTATE, normalized);
    }
  }

  private String joinTracestate(RequestHeaders headers) {
    StringBuilder joined = new StringBuilder();
    for (int i = 0, size = headers.size(); i < size; i++) {
      if (HeaderName.kind(headers.name(i)) == HeaderName.TRACESTATE) {
        if (joined.length() > 0) {
          joined.append(',');
        }
        for (int pos = 0, length = headers.valueLength(i); pos < length; pos++) {
          joined.append(headers.valueCharAt(i, pos));
        }
      }
    }
    return joined.toString();
  }

  // ---------------------------------------------------------------- B3 single

  private void emitB3Single(RepairPolicy policy) {
    boolean output = isOutput(PropagationFormat.B3_SINGLE);
    boolean present = single.status != ParsedContext.ABSENT;
    if (!hasTarget) {
      if (!present) {
        return;
      }
      if (single.decisionOnly && single.status != ParsedContext.INVALID) {
        if (sampling == SamplingState.DEFER) {
          out.remove(MutationBuffer.B3);
          note(Reason.SAMPLING_POLICY);
        } else if (single.status != ParsedContext.VALID || single.sampling != sampling) {
          out.set(MutationBuffer.B3, B3SingleCodec.writeDecision(sampling));
          note(policyChanged ? Reason.SAMPLING_POLICY : Reason.FORMATS_DISAGREE);
        }
      } else {
        out.remove(MutationBuffer.B3);
        brokenRemoved = true;
      }
      return;
    }
    long wantParent = sampling != SamplingState.DEFER ? parentId : 0;
    boolean sameIds = single.sameTrace(traceHigh, traceLow) && single.spanId == spanId;
    boolean agrees = sameIds && single.sampling == sampling
        && (single.parentId == 0 || single.parentId == wantParent);
    boolean keep = single.status == ParsedContext.VALID && agrees;
    if (output) {
      if (!keep) {
        int width = single.sameTrace(traceHigh, traceLow) ? single.traceWidth : traceWidth;
        out.setWritten(MutationBuffer.B3, B3SingleCodec.write(traceHigh, traceLow, width, spanId,
            sampling, wantParent, out.reserve(B3SingleCodec.MAX_LENGTH), out.position()));
        idsWritten = true;
        noteMismatch(single, sameIds);
      }
    } else if (present && !keep) {
      out.remove(MutationBuffer.B3);
      noteMismatch(single, sameIds);
      if (!single.hasTraceId) {
        brokenRemoved = true;
      }
    }
  }

  // ---------------------------------------------------------------- B3 multi

  private void emitB3Multi(RepairPolicy policy) {
    boolean output = isOutput(PropagationFormat.B3_MULTI);
    boolean present = multi.status != ParsedContext.ABSENT;
    int[] status = multiFields.status;
    if (!hasTarget) {
      if (!present) {
        return;
      }
      for (int field = B3MultiCodec.FIELD_TRACE_ID; field <= B3MultiCodec.FIELD_PARENT_SPAN_ID; field++) {
        if (status[field] != ParsedContext.ABSENT) {
          out.remove(MutationBuffer.B3_MULTI + field);
          brokenRemoved = true;
        }
      }
      emitMultiDecision();
      return;
    }
    boolean sameTrace = multi.sameTrace(traceHigh, traceLow);
    if (!output) {
      boolean keep = multi.status == ParsedContext.VALID && sameTrace && multi.spanId == spanId
          && multi.sampling == sampling && (multi.parentId == 0 || multi.parentId == parentId);
      if (present && !keep) {
        for (int field = 0; field < B3MultiCodec.FIELD_COUNT; field++) {
          if (status[field] != ParsedContext.ABSENT) {
            out.remove(MutationBuffer.B3_MULTI + field);
          }
        }
        noteMismatch(multi, sameTrace && multi.spanId == spanId);
        if (!multi.hasTraceId) {
          brokenRemoved = true;
        }
      }
      return;
    }
    boolean idsSet = false;
    if (!(status[B3MultiCodec.FIELD_TRACE_ID] == ParsedContext.VALID && sameTrace)) {
      int width = sameTrace ? multi.traceWidth : traceWidth;
      out.setWritten(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_TRACE_ID,
          B3MultiCodec.writeTraceId(traceHigh, traceLow, width, out.reserve(32), out.position()));
      noteFieldMismatch(B3MultiCodec.FIELD_TRACE_ID);
      idsSet = true;
    }
    if (!(status[B3MultiCodec.FIELD_SPAN_ID] == ParsedContext.VALID && multi.spanId == spanId)) {
      setId(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_SPAN_ID, spanId);
      noteFieldMismatch(B3MultiCodec.FIELD_SPAN_ID);
      idsSet = true;
    }
    if (idsSet) {
      idsWritten = true;
    }
    int parentStatus = status[B3MultiCodec.FIELD_PARENT_SPAN_ID];
    if (parentStatus == ParsedContext.ABSENT) {
      if (idsSet && parentId != 0) {
        setId(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_PARENT_SPAN_ID, parentId);
      }
    } else if (!(parentStatus == ParsedContext.VALID && multi.parentId == parentId)) {
      if (parentId != 0) {
        setId(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_PARENT_SPAN_ID, parentId);
      } else {
        out.remove(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_PARENT_SPAN_ID);
      }
      noteFieldMismatch(B3MultiCodec.FIELD_PARENT_SPAN_ID);
    }
    emitMultiDecision();
  }

  /** {@code x-b3-sampled} and {@code x-b3-flags} for {@link #sampling}. */
  private void emitMultiDecision() {
    int[] status = multiFields.status;
    String wantSampled = sampling == SamplingState.ACCEPT ? SAMPLED_ACCEPT
        : sampling == SamplingState.DENY ? SAMPLED_DENY : null;
    int sampledStatus = status[B3MultiCodec.FIELD_SAMPLED];
    if (wantSampled == null) {
      if (sampledStatus != ParsedContext.ABSENT) {
        out.remove(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_SAMPLED);
        noteDecisionMismatch(sampledStatus);
      }
    } else if (!(sampledStatus == ParsedContext.VALID && multiFields.sampled == sampling)) {
      out.set(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_SAMPLED, wantSampled);
      noteDecisionMismatch(sampledStatus);
    }
    int flagsStatus = status[B3MultiCodec.FIELD_FLAGS];
    if (sampling == SamplingState.DEBUG) {
      if (flagsStatus != ParsedContext.VALID) {
        out.set(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_FLAGS, FLAGS_DEBUG);
        noteDecisionMismatch(flagsStatus);
      }
    } else if (flagsStatus != ParsedContext.ABSENT) {
      out.remove(MutationBuffer.B3_MULTI + B3MultiCodec.FIELD_FLAGS);
      noteDecisionMismatch(flagsStatus);
    }
  }

  // ---------------------------------------------------------------- reasons

  /** Why a present-or-absent format is rewritten, when its own parse found nothing wrong. */
  private void noteMismatch(ParsedContext format, boolean sameIds) {
    if (format.status == ParsedContext.ABSENT) {
      note(Reason.FORMAT_MISSING);
    } else if (format.problem == Reason.NONE) {
      note(sameIds && policyChanged ? Reason.SAMPLING_POLICY
          : sameIds && samplingDecided ? Reason.SAMPLING_DECIDED
          : format.decisionOnly ? Reason.FORMAT_MISSING : Reason.FORMATS_DISAGREE);
    }
  }

  private void noteFieldMismatch(int field) {
    int fieldStatus = multiFields.status[field];
    if (multi.status == ParsedContext.ABSENT || multi.decisionOnly) {
      note(Reason.FORMAT_MISSING);
    } else if (fieldStatus == ParsedContext.ABSENT || fieldStatus == ParsedContext.VALID) {
      note(Reason.FORMATS_DISAGREE);
    }
  }

  private void noteDecisionMismatch(int fieldStatus) {
    if (fieldStatus == ParsedContext.VALID || fieldStatus == ParsedContext.ABSENT) {
      note(policyChanged ? Reason.SAMPLING_POLICY
          : multi.status == ParsedContext.ABSENT ? Reason.FORMAT_MISSING
          : samplingDecided ? Reason.SAMPLING_DECIDED : Reason.FORMATS_DISAGREE);
    }
  }

  /**
   * A new id in the engine's form ({@link HexCodec#fromNumber}); guards the written headers
   * against a generator that breaks its never-zero contract.
   */
  private static long nextId(IdGenerator ids) {
    long id = ids.nextNonZeroLong();
    return HexCodec.fromNumber(id != 0 ? id : IdGenerator.random().nextNonZeroLong());
  }

  private void note(Reason found) {
    reason = Reason.first(reason, found);
  }

  /** Sets header {@code name} ({@link MutationBuffer}'s index) to the 16 lower hex chars of {@code id}. */
  private void setId(int name, long id) {
    out.setWritten(name, HexCodec.encode(id, out.reserve(16), out.position()));
  }
}
