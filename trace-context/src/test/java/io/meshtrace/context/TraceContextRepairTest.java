package io.meshtrace.context;

import static io.meshtrace.context.SequenceIds.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of the header rules (docs/header-rules.md) with real values, good and malformed. Each row names the input,
 * the policy, the verdict and reason, and the trace headers the request carries on after the
 * mutations. Every result is also checked by {@link WrittenHeaders} (strict validators,
 * OpenTelemetry read-back, repairing the output passes).
 *
 * <p>New ids come from {@link SequenceIds}: a new trace is {@code a1 a2}, its span {@code a3};
 * a new span alone is {@code a1}.
 */
class TraceContextRepairTest {

  // Real values from the W3C and B3 specifications and their test suites.
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String SPAN = "00f067aa0ba902b7";
  static final String TP = "00-" + TRACE + "-" + SPAN + "-01";
  static final String TP_UNSAMPLED = "00-" + TRACE + "-" + SPAN + "-00";
  static final String B3_TRACE = "80f198ee56343ba864fe8b2a57d3eff7";
  static final String B3_TRACE16 = "463ac35c9f6413ad";
  static final String B3_SPAN = "e457b5a2e4d86bd1";
  static final String B3_PARENT = "05e3ac9a4f6e3b90";
  static final String RID = "f81d4fae-7dec-41d0-a765-00a0c91e6bf6";
  static final String TS = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";

  static final String NEW_TRACE = hex(1) + hex(2);
  static final String NEW_TRACE_SPAN = hex(3);
  static final String NEW_TP = "00-" + NEW_TRACE + "-" + NEW_TRACE_SPAN + "-02";
  static final String NEW_TP_SAMPLED = "00-" + NEW_TRACE + "-" + NEW_TRACE_SPAN + "-03";
  /** A trace the gateway starts with the default policy: decided sampled (100 %) in every format. */
  static final String[] NEW_TRACE_SAMPLED = {"traceparent", NEW_TP_SAMPLED, "x-b3-traceid", NEW_TRACE,
      "x-b3-spanid", NEW_TRACE_SPAN, "x-b3-sampled", "1"};

  static final RepairPolicy DEFAULTS = RepairPolicy.defaults();
  static final RepairPolicy B3_MULTI_ONLY = DEFAULTS.withOutputFormats(EnumSet.of(PropagationFormat.B3_MULTI));
  static final RepairPolicy B3_SINGLE_ONLY = DEFAULTS.withOutputFormats(EnumSet.of(PropagationFormat.B3_SINGLE));
  static final RepairPolicy W3C_ONLY = DEFAULTS.withOutputFormats(EnumSet.of(PropagationFormat.W3C));
  static final RepairPolicy W3C_WINS = DEFAULTS.withWinner(PropagationFormat.W3C);
  static final RepairPolicy ALL_FORMATS = DEFAULTS.withOutputFormats(EnumSet.allOf(PropagationFormat.class));

  static final class Row {
    final String name;
    String[] in = {};
    RepairPolicy policy = DEFAULTS;
    double fraction = 0.5;
    Verdict verdict;
    Reason reason;
    String[] out;

    Row(String name) {
      this.name = name;
    }

    Row in(String... nameValue) {
      this.in = nameValue;
      return this;
    }

    Row policy(RepairPolicy policy) {
      this.policy = policy;
      return this;
    }

    /** The fraction every sampling draw returns (default 0.5). */
    Row draw(double fraction) {
      this.fraction = fraction;
      return this;
    }

    Row expect(Verdict verdict, Reason reason) {
      this.verdict = verdict;
      this.reason = reason;
      return this;
    }

    /** The trace headers after the mutations (x-request-id is checked apart). */
    Row out(String... nameValue) {
      this.out = nameValue;
      return this;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Row row(String name) {
    return new Row(name);
  }

  static String[] with(String[] base, String... more) {
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  static String[] validW3cAndB3() {
    return new String[] {"traceparent", TP, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN,
        "x-b3-sampled", "1", "x-request-id", RID};
  }

  static String members(int count, String prefix) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      out.append(i == 0 ? "" : ",").append(prefix).append(i).append("=v").append(i);
    }
    return out.toString();
  }

  static Stream<Arguments> rows() {
    List<Row> rows = new ArrayList<>();
    String[] b3OfTp = {"x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "1"};

    // ---------------------------------------------------------------- W3C traceparent
    rows.add(row("pass_validW3cAndB3Agree_touchesNothing")
        .in(validW3cAndB3()).expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("pass_validW3cB3AndTracestate_touchesNothing")
        .in(with(validW3cAndB3(), "tracestate", TS)).expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP, "tracestate", TS}, b3OfTp)));
    rows.add(row("repair_validTraceparentOnly_addsB3WithSameIds")
        .in("traceparent", TP, "x-request-id", RID).expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_traceparentLeadingAndTrailingWhitespace_trims")
        .in(with(b3OfTp, "traceparent", " \t" + TP + "  ", "x-request-id", RID))
        .expect(Verdict.REPAIR, Reason.TRACEPARENT_WHITESPACE)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("regenerate_traceparentUpperCaseHex_dropsTracestate")
        .in("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
            "tracestate", TS, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_traceparentTooShort_newTrace")
        .in("traceparent", TP.substring(0, 54), "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_traceparentVersion00TooLong_newTrace")
        .in("traceparent", TP + "-extra", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_traceparentNonHex_newTrace")
        .in("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_traceparentEmoji_newTrace")
        .in("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e47\uD83D\uDE00-00f067aa0ba902b7-01", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_traceparentCrLfInside_newTrace")
        .in("traceparent", "00-" + TRACE + "-" + SPAN + "\r\n01", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_traceparentAllZeroTraceId_newTrace")
        .in("traceparent", "00-00000000000000000000000000000000-" + SPAN + "-01", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    // W3C test suite: an all-zero parent id makes the traceparent invalid, a new trace id is expected.
    rows.add(row("regenerate_traceparentAllZeroParentId_newTraceDropsTracestate")
        .in("traceparent", "00-" + TRACE + "-0000000000000000-01", "tracestate", TS, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_ZERO_PARENT_ID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("repair_traceparentAllZeroParentIdB3SameTrace_b3ContinuedTracestateDropped")
        .in(with(b3OfTp, "traceparent", "00-" + TRACE + "-0000000000000000-01", "tracestate", TS,
            "x-request-id", RID))
        .policy(W3C_WINS).expect(Verdict.REPAIR, Reason.TRACEPARENT_ZERO_PARENT_ID)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("regenerate_traceparentAllZeroTraceAndParentId_newTrace")
        .in("traceparent", "00-00000000000000000000000000000000-0000000000000000-01", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_traceparentVersionFf_newTrace")
        .in("traceparent", "ff-" + TRACE + "-" + SPAN + "-01", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_VERSION_FF)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("repair_traceparentFutureVersionLonger_reemitsFirst55As00")
        .in(with(b3OfTp, "traceparent", "cc-" + TRACE + "-" + SPAN + "-01-what-the-future-will-be-like",
            "x-request-id", RID))
        .expect(Verdict.REPAIR, Reason.TRACEPARENT_FUTURE_VERSION)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("repair_traceparentFutureVersionExactly55_reemitsAs00")
        .in(with(b3OfTp, "traceparent", "01-" + TRACE + "-" + SPAN + "-01", "x-request-id", RID))
        .expect(Verdict.REPAIR, Reason.TRACEPARENT_FUTURE_VERSION)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("repair_traceparentFutureVersionUnknownFlags_zeroed")
        .in(with(b3OfTp, "traceparent", "cc-" + TRACE + "-" + SPAN + "-f9", "x-request-id", RID))
        .expect(Verdict.REPAIR, Reason.TRACEPARENT_FUTURE_VERSION)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("regenerate_traceparentFutureVersionNoDashAfter55_newTrace")
        .in("traceparent", "cc-" + TRACE + "-" + SPAN + "-01.what", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_twoTraceparentHeaders_newTrace")
        .in("traceparent", TP, "traceparent", TP, "tracestate", TS, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_REPEATED)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("pass_traceparentSampledAndRandomFlags_keptAsReceived")
        .in(with(b3OfTp, "traceparent", "00-" + TRACE + "-" + SPAN + "-03", "x-request-id", RID))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(b3OfTp, "traceparent", "00-" + TRACE + "-" + SPAN + "-03")));
    rows.add(row("repair_traceparentUnknownFlagBits_zeroedKeepsBits0And1")
        .in(with(b3OfTp, "traceparent", "00-" + TRACE + "-" + SPAN + "-ff", "x-request-id", RID))
        .expect(Verdict.REPAIR, Reason.TRACEPARENT_FLAGS)
        .out(with(b3OfTp, "traceparent", "00-" + TRACE + "-" + SPAN + "-03")));
    rows.add(row("repair_traceparentUnsampledOnly_b3SaysDeny")
        .in("traceparent", TP_UNSAMPLED, "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "0"));

    // ---------------------------------------------------------------- W3C tracestate
    rows.add(row("repair_tracestateWithoutTraceparent_dropped")
        .in(with(b3OfTp, "tracestate", TS, "x-request-id", RID))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_ORPHAN)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("repair_severalTracestateHeaders_joinedInOrder")
        .in(with(validW3cAndB3(), "tracestate", "congo=t61rcWkgMzE", "tracestate", " rojo=00f067aa0ba902b7 "))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_REPEATED)
        .out(with(new String[] {"traceparent", TP, "tracestate", TS}, b3OfTp)));
    rows.add(row("repair_tracestate33Members_droppedKeepsTraceparent")
        .in(with(validW3cAndB3(), "tracestate", members(33, "k")))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("pass_tracestate32Members_kept")
        .in(with(validW3cAndB3(), "tracestate", members(32, "k")))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP, "tracestate", members(32, "k")}, b3OfTp)));
    rows.add(row("repair_tracestateUpperCaseKey_dropped")
        .in(with(validW3cAndB3(), "tracestate", "Congo=t61rcWkgMzE"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_tracestateValueWithEquals_dropped")
        .in(with(validW3cAndB3(), "tracestate", "congo=a=b"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_tracestateEmoji_dropped")
        .in(with(validW3cAndB3(), "tracestate", "congo=\uD83D\uDE00"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_tracestateLf_dropped")
        .in(with(validW3cAndB3(), "tracestate", "congo=t61rcWkgMzE\nrojo=1"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("pass_tracestateMultiTenantKeyAndWhitespace_untouched")
        .in(with(validW3cAndB3(), "tracestate", "fw529a3039@dt=ffffffff , ,congo=t61rcWkgMzE"))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP, "tracestate", "fw529a3039@dt=ffffffff , ,congo=t61rcWkgMzE"}, b3OfTp)));
    // A repeated key is not invalid: the first member with it is kept, the later ones dropped.
    rows.add(row("repair_tracestateDuplicateKey_keepsFirstMemberDropsLater")
        .in(with(validW3cAndB3(), "tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,congo=BleGNlZWRzIHRohbCBwbGVhc3VyZS4"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_DUPLICATE_KEY)
        .out(with(new String[] {"traceparent", TP, "tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}, b3OfTp)));
    rows.add(row("repair_tracestateDuplicateKeySameValueAroundEmptyMembers_oneKept")
        .in(with(validW3cAndB3(), "tracestate", "rojo=1, ,\t,rojo=1"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_DUPLICATE_KEY)
        .out(with(new String[] {"traceparent", TP, "tracestate", "rojo=1"}, b3OfTp)));
    rows.add(row("repair_tracestateKeyThreeTimes_firstKeptOthersDropped")
        .in(with(validW3cAndB3(), "tracestate", "foo=1,bar=2,foo=3,baz=4,foo=5"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_DUPLICATE_KEY)
        .out(with(new String[] {"traceparent", TP, "tracestate", "foo=1,bar=2,baz=4"}, b3OfTp)));
    rows.add(row("repair_tracestateDuplicateMultiTenantKey_firstKept")
        .in(with(validW3cAndB3(), "tracestate", "fw529a3039@dt=ffffffff,congo=x,fw529a3039@dt=00000000"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_DUPLICATE_KEY)
        .out(with(new String[] {"traceparent", TP, "tracestate", "fw529a3039@dt=ffffffff,congo=x"}, b3OfTp)));
    rows.add(row("repair_tracestateDuplicateKeyAcrossRepeatedHeaders_joinedFirstKept")
        .in(with(validW3cAndB3(), "tracestate", "congo=t61rcWkgMzE", "tracestate", "rojo=1,congo=2"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_DUPLICATE_KEY)
        .out(with(new String[] {"traceparent", TP, "tracestate", "congo=t61rcWkgMzE,rojo=1"}, b3OfTp)));
    rows.add(row("repair_tracestateDuplicateKeyThenBrokenMember_droppedWhole")
        .in(with(validW3cAndB3(), "tracestate", "congo=1,congo=2,Rojo=3"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_tracestate33MembersOneRepeated_droppedWhole")
        // The 32-member limit counts the members as received, repeats included.
        .in(with(validW3cAndB3(), "tracestate", members(32, "k") + ",k0=again"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_tracestateDuplicateKeyOverLimit_firstKeptThenTruncated")
        .in(with(validW3cAndB3(), "tracestate", tracestateOf(20, 30) + ",m00=" + "w".repeat(40)))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_DUPLICATE_KEY)
        .out(with(new String[] {"traceparent", TP, "tracestate", tracestateOf(16, 30)}, b3OfTp)));
    rows.add(row("repair_tracestateDuplicateKeyNotAnOutputFormat_firstKeptTraceparentLeft")
        .in(with(validW3cAndB3(), "tracestate", "congo=1,congo=2")).policy(B3_MULTI_ONLY)
        .expect(Verdict.REPAIR, Reason.TRACESTATE_DUPLICATE_KEY)
        .out(with(new String[] {"traceparent", TP, "tracestate", "congo=1"}, b3OfTp)));

    // Key grammar as W3C publishes it now: (lcalpha / DIGIT) 0*255(keychar), keychar with "@".
    String key256 = "k" + "e".repeat(255);
    String key256At = "t".repeat(250) + "@" + "vndr1";
    String[][] validKeys = {
        {"pass_tracestateKeyEndingWithAt_kept", "foo@=1"},
        {"pass_tracestateKeyWithTwoAts_kept", "foo@@bar=1"},
        {"pass_tracestateKey256Chars_kept", key256 + "=1"},
        {"pass_tracestateKey256CharsAtAfter241_kept", key256At + "=1"},
        {"pass_tracestateKeyStartingWithDigitNoAt_kept", "1congo=t61rcWkgMzE"},
        {"pass_tracestateSystemIdOver14Chars_kept", "tenant@averyverylongsystemid=1"},
        {"pass_tracestateSystemIdStartingWithDigit_kept", "tenant@1vendor=1"},
        {"pass_tracestateAtKeysNextToOthers_kept", "congo=t61rcWkgMzE,foo@=1,foo@@bar=2,foo=3"},
    };
    for (String[] key : validKeys) {
      rows.add(row(key[0])
          .in(with(validW3cAndB3(), "tracestate", key[1])).expect(Verdict.PASS, Reason.NONE)
          .out(with(new String[] {"traceparent", TP, "tracestate", key[1]}, b3OfTp)));
    }
    String[][] invalidKeys = {
        {"repair_tracestateKeyStartingWithAt_dropped", "@foo=1"},
        {"repair_tracestateKey257Chars_dropped", key256 + "e=1"},
        {"repair_tracestateKey257CharsWithAt_dropped", key256At + "x=1"},
        {"repair_tracestateKeyAtOnly_dropped", "@=1"},
        {"repair_tracestateKeyUpperCaseAfterAt_dropped", "foo@Bar=1"},
        {"repair_tracestateKeyStartingWithAtAfterGoodMember_dropped", "congo=t61rcWkgMzE,@foo=1"},
    };
    for (String[] key : invalidKeys) {
      rows.add(row(key[0])
          .in(with(validW3cAndB3(), "tracestate", key[1])).expect(Verdict.REPAIR, Reason.TRACESTATE_INVALID)
          .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    }
    rows.add(row("pass_tracestateKeysSharingPrefixTenantOrHash_kept")
        // "c*" and "ah" have the same String hash; "congo" and "congo@x" differ by tenant.
        .in(with(validW3cAndB3(), "tracestate", "c*=1,ah=2,congo=3,congo2=4,congo@x=5,x@congo=6"))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP, "tracestate", "c*=1,ah=2,congo=3,congo2=4,congo@x=5,x@congo=6"}, b3OfTp)));
    rows.add(row("pass_tracestate32MembersAndEmptyOnes_kept")
        .in(with(validW3cAndB3(), "tracestate", ",, " + members(32, "k") + " ,\t,"))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP, "tracestate", ",, " + members(32, "k") + " ,\t,"}, b3OfTp)));
    String big1 = "big1=" + "x".repeat(195);
    String big2 = "big2=" + "x".repeat(195);
    String shortMembers = members(28, "s");
    rows.add(row("repair_tracestateOverLimit_dropsMembersOver128BeforeShortOnes")
        .in(with(validW3cAndB3(), "tracestate", big1 + "," + shortMembers + "," + big2 + ",last=1"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_TOO_LONG)
        .out(with(new String[] {"traceparent", TP, "tracestate", big1 + "," + shortMembers + ",last=1"}, b3OfTp)));
    rows.add(row("repair_tracestateOverLimitRepeated_joinedThenTruncated")
        .in(with(validW3cAndB3(), "tracestate", big1, "tracestate", big2, "tracestate", shortMembers + ",last=1"))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_REPEATED)
        .out(with(new String[] {"traceparent", TP, "tracestate", big1 + "," + shortMembers + ",last=1"}, b3OfTp)));
    rows.add(row("repair_tracestateOverLimit_truncatedFromTheRight")
        .in(with(validW3cAndB3(), "tracestate", tracestateOf(20, 30)))
        .expect(Verdict.REPAIR, Reason.TRACESTATE_TOO_LONG)
        .out(with(new String[] {"traceparent", TP, "tracestate", tracestateOf(16, 30)}, b3OfTp)));
    rows.add(row("pass_tracestateOverDefaultUnderPolicyLimit_kept")
        .in(with(validW3cAndB3(), "tracestate", tracestateOf(20, 30)))
        .policy(DEFAULTS.withTracestateLimit(1024))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP, "tracestate", tracestateOf(20, 30)}, b3OfTp)));

    // ---------------------------------------------------------------- B3 multi
    rows.add(row("pass_b3MultiValid_b3OnlyOutput")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", B3_PARENT,
            "x-b3-sampled", "1", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.PASS, Reason.NONE)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", B3_PARENT, "x-b3-sampled", "1"));
    rows.add(row("repair_b3SpanIdMissing_keepsTraceId")
        .in("x-b3-traceid", B3_TRACE, "x-b3-sampled", "1", "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SPAN_ID_MISSING)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", hex(1), "x-b3-sampled", "1",
            "traceparent", "00-" + B3_TRACE + "-" + hex(1) + "-01"));
    rows.add(row("repair_b3SpanIdMissingParentPresent_keepsTraceIdDropsParent")
        .in("x-b3-traceid", B3_TRACE, "x-b3-parentspanid", B3_PARENT, "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SPAN_ID_MISSING)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", hex(1), "x-b3-sampled", "1",
            "traceparent", "00-" + B3_TRACE + "-" + hex(1) + "-01"));
    rows.add(row("repair_b3SpanIdTooShort_keepsTraceId")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN.substring(1), "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SPAN_ID_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", hex(1), "x-b3-sampled", "1",
            "traceparent", "00-" + B3_TRACE + "-" + hex(1) + "-01"));
    rows.add(row("repair_b3SpanIdUpperCase_keepsTraceId")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN.toUpperCase(), "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SPAN_ID_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", hex(1), "x-b3-sampled", "1",
            "traceparent", "00-" + B3_TRACE + "-" + hex(1) + "-01"));
    rows.add(row("repair_b3SpanIdCrLf_keepsTraceId")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN + "\r\n", "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SPAN_ID_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", hex(1), "x-b3-sampled", "1",
            "traceparent", "00-" + B3_TRACE + "-" + hex(1) + "-01"));
    rows.add(row("repair_b3SpanIdZero_keepsTraceId")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", "0000000000000000", "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SPAN_ID_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", hex(1), "x-b3-sampled", "1",
            "traceparent", "00-" + B3_TRACE + "-" + hex(1) + "-01"));
    rows.add(row("repair_b3SpanIdMissingW3cSameTrace_takesW3cSpanId")
        .in("x-b3-traceid", TRACE, "traceparent", TP, "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SPAN_ID_MISSING)
        .out("x-b3-traceid", TRACE, "traceparent", TP, "x-b3-spanid", SPAN, "x-b3-sampled", "1"));
    rows.add(row("regenerate_b3SpanIdWithoutTraceId_newTrace")
        .in("x-b3-spanid", B3_SPAN, "x-b3-sampled", "1", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_TRACE_ID_MISSING)
        .out("x-b3-sampled", "1", "traceparent", NEW_TP_SAMPLED, "x-b3-traceid", NEW_TRACE,
            "x-b3-spanid", NEW_TRACE_SPAN));
    rows.add(row("regenerate_b3TraceIdUuid_newTrace")
        .in("x-b3-traceid", RID, "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_TRACE_ID_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_b3TraceIdZero_newTrace")
        .in("x-b3-traceid", "0000000000000000", "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_TRACE_ID_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_b3TraceIdRepeatedDifferent_newTrace")
        .in("x-b3-traceid", B3_TRACE, "x-b3-traceid", TRACE, "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_TRACE_ID_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("repair_b316HexTraceId_staysIn16B3PaddedInW3c")
        .in("x-b3-traceid", B3_TRACE16, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1", "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("x-b3-traceid", B3_TRACE16, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1",
            "traceparent", "00-0000000000000000" + B3_TRACE16 + "-" + B3_SPAN + "-01"));
    rows.add(row("pass_b316HexTraceIdAndPaddedW3c_agree")
        .in("x-b3-traceid", B3_TRACE16, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1", "x-request-id", RID,
            "traceparent", "00-0000000000000000" + B3_TRACE16 + "-" + B3_SPAN + "-01")
        .expect(Verdict.PASS, Reason.NONE)
        .out("x-b3-traceid", B3_TRACE16, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1",
            "traceparent", "00-0000000000000000" + B3_TRACE16 + "-" + B3_SPAN + "-01"));
    rows.add(row("repair_b3SampledTrue_rewrittenTo1")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "true", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_SAMPLED_LEGACY)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1"));
    rows.add(row("repair_b3SampledFalse_rewrittenTo0")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "false", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_SAMPLED_LEGACY)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "0"));
    rows.add(row("repair_b3SampledEmpty_removedDefers")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_SAMPLED_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN));
    rows.add(row("repair_b3SampledGarbage_removedDefers")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "yes please", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_SAMPLED_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN));
    rows.add(row("pass_b3FlagsDebug_b3OnlyOutput")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-flags", "1", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.PASS, Reason.NONE)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-flags", "1"));
    rows.add(row("repair_b3FlagsDebugWithSampled_dropsSampled")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-flags", "1", "x-b3-sampled", "1",
            "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.B3_SAMPLED_WITH_DEBUG)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-flags", "1",
            "traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + "-01"));
    rows.add(row("repair_b3FlagsNot1_removed")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-flags", "2", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_FLAGS_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN));
    rows.add(row("repair_b3ParentSpanIdEmpty_removed")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", "", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_PARENT_ID_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN));
    rows.add(row("repair_b3ParentSpanIdDash_removed")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", "-", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_PARENT_ID_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN));
    rows.add(row("repair_b3ParentSpanIdUuid_removed")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", RID, "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_PARENT_ID_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN));
    rows.add(row("repair_b3TraceIdWhitespace_trimmed")
        .in("x-b3-traceid", " " + B3_TRACE + "\t", "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_WHITESPACE)
        .out("x-b3-spanid", B3_SPAN, "x-b3-traceid", B3_TRACE));
    rows.add(row("regenerate_b3DecisionOnly_keepsDecisionAddsIds")
        .in("x-b3-sampled", "1", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.DECISION_ONLY)
        .out("x-b3-sampled", "1", "traceparent", NEW_TP_SAMPLED, "x-b3-traceid", NEW_TRACE,
            "x-b3-spanid", NEW_TRACE_SPAN));
    rows.add(row("pass_b3DecisionOnlyNotStartingTraces_leftAlone")
        .in("x-b3-sampled", "0", "x-request-id", RID)
        .policy(DEFAULTS.withStartTraceWhenAbsent(false)).expect(Verdict.PASS, Reason.NONE)
        .out("x-b3-sampled", "0"));
    rows.add(row("repair_b3DecisionOnlyTrueNotStartingTraces_rewrittenTo1")
        .in("x-b3-sampled", "true", "x-request-id", RID)
        .policy(DEFAULTS.withStartTraceWhenAbsent(false)).expect(Verdict.REPAIR, Reason.B3_SAMPLED_LEGACY)
        .out("x-b3-sampled", "1"));

    // ---------------------------------------------------------------- B3 single
    rows.add(row("pass_b3SingleValid_b3SingleOutput")
        .in("b3", B3_TRACE + "-" + B3_SPAN + "-1-" + B3_PARENT, "x-request-id", RID)
        .policy(B3_SINGLE_ONLY).expect(Verdict.PASS, Reason.NONE)
        .out("b3", B3_TRACE + "-" + B3_SPAN + "-1-" + B3_PARENT));
    rows.add(row("pass_b3SingleTraceAndSpanOnly_b3SingleOutput")
        .in("b3", B3_TRACE16 + "-" + B3_SPAN, "x-request-id", RID)
        .policy(B3_SINGLE_ONLY).expect(Verdict.PASS, Reason.NONE)
        .out("b3", B3_TRACE16 + "-" + B3_SPAN));
    rows.add(row("repair_b3SingleValid_addsW3cAndMultiKeepsSingle")
        .in("b3", B3_TRACE + "-" + B3_SPAN + "-1-" + B3_PARENT, "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("b3", B3_TRACE + "-" + B3_SPAN + "-1-" + B3_PARENT, "traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + "-01",
            "x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", B3_PARENT, "x-b3-sampled", "1"));
    rows.add(row("repair_b3SingleDebug_multiGetsFlags")
        .in("b3", B3_TRACE16 + "-" + B3_SPAN + "-d", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("b3", B3_TRACE16 + "-" + B3_SPAN + "-d", "x-b3-traceid", B3_TRACE16, "x-b3-spanid", B3_SPAN,
            "x-b3-flags", "1"));
    rows.add(row("regenerate_b3SingleUuid_droppedNewTrace")
        .in("b3", RID, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_SINGLE_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_b3SingleBadSampling_droppedNewTrace")
        .in("b3", B3_TRACE + "-" + B3_SPAN + "-2", "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_SINGLE_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_b3SingleParentWithoutSampling_droppedNewTrace")
        .in("b3", B3_TRACE + "-" + B3_SPAN + "-" + B3_PARENT, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_SINGLE_INVALID)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_b3SingleTraceIdOnly_droppedNewTrace")
        .in("b3", B3_TRACE, "x-request-id", RID)
        .expect(Verdict.REGENERATE, Reason.B3_SINGLE_INVALID)
        .out(NEW_TRACE_SAMPLED));
    for (String decision : new String[] {"0", "1", "d"}) {
      String flags = decision.equals("0") ? "02" : "03";
      String[] b3Decision = decision.equals("d") ? new String[] {"x-b3-flags", "1"}
          : new String[] {"x-b3-sampled", decision};
      rows.add(row("regenerate_b3SingleDecisionOnly" + decision + "_keepsDecisionAddsIds")
          .in("b3", decision, "x-request-id", RID)
          .expect(Verdict.REGENERATE, Reason.DECISION_ONLY)
          .out(with(b3Decision, "traceparent", "00-" + NEW_TRACE + "-" + NEW_TRACE_SPAN + "-" + flags,
              "x-b3-traceid", NEW_TRACE, "x-b3-spanid", NEW_TRACE_SPAN)));
      rows.add(row("pass_b3SingleDecisionOnly" + decision + "NotStartingTraces_leftAlone")
          .in("b3", decision, "x-request-id", RID)
          .policy(DEFAULTS.withStartTraceWhenAbsent(false)).expect(Verdict.PASS, Reason.NONE)
          .out("b3", decision));
    }
    rows.add(row("repair_b3SingleWinsOverDisagreeingMulti_multiRewritten")
        .in("b3", B3_TRACE + "-" + B3_SPAN + "-1", "x-b3-traceid", TRACE, "x-b3-spanid", SPAN,
            "x-b3-sampled", "1", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.FORMATS_DISAGREE)
        .out("b3", B3_TRACE + "-" + B3_SPAN + "-1", "x-b3-sampled", "1", "x-b3-traceid", B3_TRACE,
            "x-b3-spanid", B3_SPAN));
    rows.add(row("repair_b3SingleInvalidMultiValid_dropsSingle")
        .in("b3", "not-a-b3-value", "x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN,
            "x-b3-sampled", "1", "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_SINGLE_INVALID)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1"));
    rows.add(row("repair_b3SingleOutputFromTraceparent_added")
        .in("traceparent", TP, "x-request-id", RID)
        .policy(B3_SINGLE_ONLY).expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("traceparent", TP, "b3", TRACE + "-" + SPAN + "-1"));

    // ---------------------------------------------------------------- several formats
    rows.add(row("repair_w3cAndB3Disagree_b3WinsByDefault")
        .in("traceparent", TP, "tracestate", TS, "x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN,
            "x-b3-sampled", "0", "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.FORMATS_DISAGREE)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "0",
            "traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + "-00"));
    rows.add(row("repair_w3cAndB3Disagree_w3cWinsWhenConfigured")
        .in("traceparent", TP, "tracestate", TS, "x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN,
            "x-b3-parentspanid", B3_PARENT, "x-b3-sampled", "0", "x-request-id", RID)
        .policy(W3C_WINS).expect(Verdict.REPAIR, Reason.FORMATS_DISAGREE)
        .out(with(new String[] {"traceparent", TP, "tracestate", TS}, b3OfTp)));
    rows.add(row("repair_sameIdsDifferentSampling_winnerDecides")
        .in("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN,
            "x-b3-sampled", "1", "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.FORMATS_DISAGREE)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("repair_w3cUnsampledAndB3Deferred_gatewayDecidesForAllFormats")
        .in("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.SAMPLING_DECIDED)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("repair_w3cUnsampledAndB3DeferredPercent0_b3SaysDeny")
        .in("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-request-id", RID)
        .policy(DEFAULTS.withNewTraceSamplingPercent(0))
        .expect(Verdict.REPAIR, Reason.SAMPLING_DECIDED)
        .out("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "0"));
    rows.add(row("pass_w3cUnsampledAndB3DeferredB3OnlyOutput_noDecisionWritten")
        .in("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.PASS, Reason.NONE)
        .out("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN));
    rows.add(row("repair_allFormats_singleAndW3cAdded")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1", "x-request-id", RID)
        .policy(ALL_FORMATS).expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1",
            "traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + "-01", "b3", B3_TRACE + "-" + B3_SPAN + "-1"));
    rows.add(row("repair_w3cOnlyOutputB3Incomplete_b3RemovedTraceKept")
        .in("x-b3-traceid", B3_TRACE, "x-b3-sampled", "1", "x-request-id", RID)
        .policy(W3C_ONLY).expect(Verdict.REPAIR, Reason.B3_SPAN_ID_MISSING)
        .out("traceparent", "00-" + B3_TRACE + "-" + hex(1) + "-01"));
    rows.add(row("pass_w3cOnlyOutputB3ValidAgreeing_left")
        .in(validW3cAndB3()).policy(W3C_ONLY).expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_w3cOnlyOutputB3Disagreeing_removed")
        .in("traceparent", TP, "x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .policy(W3C_ONLY.withWinner(PropagationFormat.W3C)).expect(Verdict.REPAIR, Reason.FORMATS_DISAGREE)
        .out("traceparent", TP));

    // ---------------------------------------------------------------- no context, request id, others
    rows.add(row("regenerate_noTraceHeaders_startsTrace")
        .in("x-request-id", RID, ":path", "/productpage")
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT)
        .out(NEW_TRACE_SAMPLED));
    rows.add(row("pass_noTraceHeadersNotStartingTraces_leftForEnvoy")
        .in("x-request-id", RID).policy(DEFAULTS.withStartTraceWhenAbsent(false))
        .expect(Verdict.PASS, Reason.NONE).out());
    rows.add(row("regenerate_brokenHeadersNotStartingTraces_removedOnly")
        .in("traceparent", "garbage", "tracestate", TS, "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .policy(DEFAULTS.withStartTraceWhenAbsent(false))
        .expect(Verdict.REGENERATE, Reason.TRACEPARENT_INVALID).out());
    rows.add(row("repair_requestIdMissing_addsUuidV4")
        .in(validW3cAndB3()[0], TP, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "1")
        .expect(Verdict.REPAIR, Reason.REQUEST_ID_MISSING)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("pass_requestIdMissingNotAdding_untouched")
        .in("traceparent", TP, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "1")
        .policy(DEFAULTS.withAddRequestId(false)).expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("pass_requestIdNotUuid_neverChanged")
        .in("traceparent", TP, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "1",
            "x-request-id", "my-own-request-id")
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("pass_otSpanContext_passedThrough")
        .in(with(validW3cAndB3(), "x-ot-span-context", "4bf92f3577b34da6;00f067aa0ba902b7;0;sr"))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP, "x-ot-span-context", "4bf92f3577b34da6;00f067aa0ba902b7;0;sr"}, b3OfTp)));
    rows.add(row("pass_mixedCaseNames_recognised")
        .in("Traceparent", TP, "X-B3-TraceId", TRACE, "X-B3-SpanId", SPAN, "X-B3-Sampled", "1", "X-Request-Id", RID)
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));

    // ---------------------------------------------------------------- sampling of traces without a decision
    rows.add(row("regenerate_noContextAllFormatsPercent100_sampledInEveryFormat")
        .in("x-request-id", RID).policy(ALL_FORMATS)
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT)
        .out(with(NEW_TRACE_SAMPLED, "b3", NEW_TRACE + "-" + NEW_TRACE_SPAN + "-1")));
    rows.add(row("regenerate_noContextAllFormatsPercent0_notSampledInEveryFormat")
        .in("x-request-id", RID).policy(ALL_FORMATS.withNewTraceSamplingPercent(0))
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT)
        .out("traceparent", NEW_TP, "x-b3-traceid", NEW_TRACE, "x-b3-spanid", NEW_TRACE_SPAN,
            "x-b3-sampled", "0", "b3", NEW_TRACE + "-" + NEW_TRACE_SPAN + "-0"));
    rows.add(row("regenerate_noContextFractionalPercentDrawBelow_sampled")
        .in("x-request-id", RID).policy(DEFAULTS.withNewTraceSamplingPercent(25.5)).draw(0.25)
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT).out(NEW_TRACE_SAMPLED));
    rows.add(row("regenerate_noContextFractionalPercentDrawAtLimit_notSampled")
        .in("x-request-id", RID).policy(DEFAULTS.withNewTraceSamplingPercent(25.0)).draw(0.25)
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT)
        .out("traceparent", NEW_TP, "x-b3-traceid", NEW_TRACE, "x-b3-spanid", NEW_TRACE_SPAN, "x-b3-sampled", "0"));
    rows.add(row("regenerate_noContextW3cOnly_sampledFlag03")
        .in("x-request-id", RID).policy(W3C_ONLY)
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT).out("traceparent", NEW_TP_SAMPLED));
    rows.add(row("regenerate_noContextB3MultiOnly_noDecisionWritten")
        .in("x-request-id", RID).policy(B3_MULTI_ONLY.withNewTraceSamplingPercent(0))
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT)
        .out("x-b3-traceid", NEW_TRACE, "x-b3-spanid", NEW_TRACE_SPAN));
    rows.add(row("regenerate_noContextB3SingleOnly_noDecisionWritten")
        .in("x-request-id", RID).policy(B3_SINGLE_ONLY)
        .expect(Verdict.REGENERATE, Reason.NO_CONTEXT)
        .out("b3", NEW_TRACE + "-" + NEW_TRACE_SPAN));
    rows.add(row("repair_b3WithoutDecisionDefaultOutputs_decidedAllFormatsAgree")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", B3_PARENT, "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-parentspanid", B3_PARENT,
            "x-b3-sampled", "1", "traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + "-01"));
    rows.add(row("repair_b3WithoutDecisionAllFormatsPercent0_decidedDenyAllFormatsAgree")
        .in("x-b3-traceid", B3_TRACE16, "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .policy(ALL_FORMATS.withNewTraceSamplingPercent(0))
        .expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("x-b3-traceid", B3_TRACE16, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "0",
            "traceparent", "00-0000000000000000" + B3_TRACE16 + "-" + B3_SPAN + "-00",
            "b3", B3_TRACE16 + "-" + B3_SPAN + "-0"));
    rows.add(row("repair_b3SingleWithoutDecisionW3cWins_decidedAllFormatsAgree")
        .in("b3", B3_TRACE + "-" + B3_SPAN, "x-request-id", RID)
        .policy(ALL_FORMATS.withWinner(PropagationFormat.W3C).withNewTraceSamplingPercent(50.5))
        .expect(Verdict.REPAIR, Reason.FORMAT_MISSING)
        .out("b3", B3_TRACE + "-" + B3_SPAN + "-1", "traceparent", "00-" + B3_TRACE + "-" + B3_SPAN + "-01",
            "x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-b3-sampled", "1"));
    rows.add(row("repair_b3CompleteWithoutDecisionAllPresent_onlyDecisionAdded")
        .in("x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "traceparent", TP, "x-request-id", RID)
        .expect(Verdict.REPAIR, Reason.FORMATS_DISAGREE)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("pass_b3WithoutDecisionB3OnlyOutput_noDecisionWritten")
        .in("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN, "x-request-id", RID)
        .policy(B3_MULTI_ONLY.withNewTraceSamplingPercent(0)).expect(Verdict.PASS, Reason.NONE)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", B3_SPAN));
    rows.add(row("repair_b3SpanIdMissingB3OnlyOutput_noDecisionWritten")
        .in("x-b3-traceid", B3_TRACE, "x-request-id", RID)
        .policy(B3_MULTI_ONLY).expect(Verdict.REPAIR, Reason.B3_SPAN_ID_MISSING)
        .out("x-b3-traceid", B3_TRACE, "x-b3-spanid", hex(1)));
    rows.add(row("pass_validSampledPercent0_untouched")
        .in(validW3cAndB3()).policy(DEFAULTS.withNewTraceSamplingPercent(0))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("pass_validNotSampledPercent100_untouched")
        .in("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "0",
            "x-request-id", RID)
        .expect(Verdict.PASS, Reason.NONE)
        .out("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "0"));
    rows.add(row("pass_validDebugPercent0_untouched")
        .in("traceparent", TP, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-flags", "1",
            "x-request-id", RID)
        .policy(DEFAULTS.withNewTraceSamplingPercent(0)).expect(Verdict.PASS, Reason.NONE)
        .out("traceparent", TP, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-flags", "1"));
    rows.add(row("pass_decisionOnlyNotStartingTraces_noW3cWrittenNothingDecided")
        .in("x-request-id", RID).policy(DEFAULTS.withStartTraceWhenAbsent(false).withNewTraceSamplingPercent(0))
        .expect(Verdict.PASS, Reason.NONE).out());

    // ---------------------------------------------------------------- edge sampling policy
    RepairPolicy deferEdge = DEFAULTS.withEdgeSampling(EdgeSampling.DEFER);
    rows.add(row("repair_deferPolicyPercent0_dropsIncomingDecisionGatewayDecidesDeny")
        .in(validW3cAndB3()).policy(deferEdge.withNewTraceSamplingPercent(0))
        .expect(Verdict.REPAIR, Reason.SAMPLING_POLICY)
        .out("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "0"));
    rows.add(row("pass_deferPolicyGatewayDrawsTheDecisionThatArrived_untouched")
        .in(validW3cAndB3()).policy(deferEdge.withNewTraceSamplingPercent(75)).draw(0.74)
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_deferPolicyNoDecision_gatewayDecides")
        .in("traceparent", TP_UNSAMPLED, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-request-id", RID)
        .policy(deferEdge).expect(Verdict.REPAIR, Reason.SAMPLING_DECIDED)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("pass_deferPolicyB3OnlyOutputNoDecision_untouched")
        .in("x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-request-id", RID)
        .policy(B3_MULTI_ONLY.withEdgeSampling(EdgeSampling.DEFER)).expect(Verdict.PASS, Reason.NONE)
        .out("x-b3-traceid", TRACE, "x-b3-spanid", SPAN));
    rows.add(row("repair_deferPolicyB3OnlyOutput_decisionRemovedNotDecided")
        .in("x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "1", "x-request-id", RID)
        .policy(B3_MULTI_ONLY.withEdgeSampling(EdgeSampling.DEFER))
        .expect(Verdict.REPAIR, Reason.SAMPLING_POLICY)
        .out("x-b3-traceid", TRACE, "x-b3-spanid", SPAN));
    rows.add(row("repair_denyForcedPolicy_dropsDebugGatewayDecidesForAllFormats")
        .in("traceparent", TP, "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-flags", "1", "x-request-id", RID)
        .policy(DEFAULTS.withEdgeSampling(EdgeSampling.DENY_FORCED))
        .expect(Verdict.REPAIR, Reason.SAMPLING_POLICY)
        .out(with(b3OfTp, "traceparent", TP)));
    rows.add(row("pass_denyForcedPolicyPlainAccept_untouched")
        .in(validW3cAndB3()).policy(DEFAULTS.withEdgeSampling(EdgeSampling.DENY_FORCED))
        .expect(Verdict.PASS, Reason.NONE)
        .out(with(new String[] {"traceparent", TP}, b3OfTp)));
    rows.add(row("repair_denyForcedPolicyB3SingleDebug_becomesDeferred")
        .in("b3", B3_TRACE + "-" + B3_SPAN + "-d", "x-request-id", RID)
        .policy(B3_SINGLE_ONLY.withEdgeSampling(EdgeSampling.DENY_FORCED))
        .expect(Verdict.REPAIR, Reason.SAMPLING_POLICY)
        .out("b3", B3_TRACE + "-" + B3_SPAN));

    return rows.stream().map(r -> Arguments.of(r.name, r));
  }

  /** {@code count} members of {@code size} chars each: {@code m00=xxx...}. */
  static String tracestateOf(int count, int size) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        out.append(',');
      }
      String key = String.format("m%02d=", i);
      out.append(key).append("v".repeat(size - key.length()));
    }
    return out.toString();
  }

  static final Set<String> TRACE_HEADERS = Set.of("traceparent", "tracestate", "b3", "x-b3-traceid",
      "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "x-ot-span-context");

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void table(String name, Row row) {
    TraceContextRepair engine = TraceContextRepair.create(row.policy, new SequenceIds(row.fraction));
    HeaderList input = HeaderList.of(row.in);
    RepairResult result = engine.repair(input.view());

    assertThat(result.verdict()).as("verdict, %s", result).isEqualTo(row.verdict);
    assertThat(result.reason()).as("reason, %s", result).isEqualTo(row.reason);
    HeaderList output = WrittenHeaders.check(engine, input, result, true);

    Map<String, String> expected = new HashMap<>();
    for (int i = 0; i < row.out.length; i += 2) {
      expected.put(row.out[i], row.out[i + 1]);
    }
    Map<String, String> actual = new HashMap<>();
    output.toMap().forEach((k, v) -> {
      if (TRACE_HEADERS.contains(k)) {
        actual.put(k, v);
      }
    });
    assertThat(actual).as("headers carried on, mutations %s", result.mutations()).isEqualTo(expected);

    String inputRequestId = input.toMap().get("x-request-id");
    if (inputRequestId != null) {
      assertThat(output.toMap().get("x-request-id")).isEqualTo(inputRequestId);
    } else if (row.policy.addRequestId()) {
      assertThat(output.toMap().get("x-request-id")).matches(
          "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    } else {
      assertThat(output.toMap()).doesNotContainKey("x-request-id");
    }
    if (result.traceId() != null) {
      String traceparent = output.toMap().get("traceparent");
      if (traceparent != null) {
        assertThat(traceparent).contains(result.traceId() + "-" + result.spanId());
      }
    }
  }
}
