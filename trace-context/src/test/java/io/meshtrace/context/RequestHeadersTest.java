package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestHeadersTest {

  /** Headers over raw bytes, as ext_proc's raw_value arrives: no copy into a String. */
  static final class ByteHeaders implements RequestHeaders {
    private final String[] names;
    private final byte[][] values;

    ByteHeaders(String[] names, byte[][] values) {
      this.names = names;
      this.values = values;
    }

    @Override
    public int size() {
      return names.length;
    }

    @Override
    public CharSequence name(int index) {
      return names[index];
    }

    @Override
    public int valueLength(int index) {
      return values[index].length;
    }

    @Override
    public char valueCharAt(int index, int pos) {
      return (char) (values[index][pos] & 0xff);
    }
  }

  @Test
  void repair_byteBackedHeaders_sameAsStrings() {
    String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    RequestHeaders bytes = new ByteHeaders(new String[] {"traceparent", "x-request-id"},
        new byte[][] {tp.getBytes(StandardCharsets.US_ASCII),
            "f81d4fae-7dec-41d0-a765-00a0c91e6bf6".getBytes(StandardCharsets.US_ASCII)});
    TraceContextRepair engine = TraceContextRepair.create(RepairPolicy.defaults());
    RepairResult result = engine.repair(bytes);
    assertThat(result.verdict()).isEqualTo(Verdict.REPAIR);
    assertThat(result.reason()).isEqualTo(Reason.FORMAT_MISSING);
    assertThat(result.mutations()).containsExactly(
        HeaderMutation.set("x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736"),
        HeaderMutation.set("x-b3-spanid", "00f067aa0ba902b7"),
        HeaderMutation.set("x-b3-sampled", "1"));
    assertThat(bytes.valueString(0)).isEqualTo(tp);
  }

  @Test
  void repair_byteBackedUtf8Emoji_invalidNotThrown() {
    byte[] value = "00-4bf92f3577b34da6a3ce929d0e0e47\uD83D\uDE00-00f067aa0ba902b7-01"
        .getBytes(StandardCharsets.UTF_8);
    RequestHeaders bytes = new ByteHeaders(new String[] {"traceparent"}, new byte[][] {value});
    RepairResult result = TraceContextRepair.create(RepairPolicy.defaults()).repair(bytes);
    assertThat(result.verdict()).isEqualTo(Verdict.REGENERATE);
    assertThat(result.reason()).isEqualTo(Reason.TRACEPARENT_INVALID);
  }

  @Test
  void of_mapOfLists_oneEntryPerValueNamesLowerCased() {
    Map<String, List<String>> map = new LinkedHashMap<>();
    map.put("TraceState", List.of("congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"));
    map.put("x-b3-sampled", List.of("1"));
    map.put("empty", null);
    RequestHeaders headers = RequestHeaders.of(map);
    assertThat(headers.size()).isEqualTo(3);
    assertThat(headers.name(0).toString()).isEqualTo("tracestate");
    assertThat(headers.name(1).toString()).isEqualTo("tracestate");
    assertThat(headers.valueString(1)).isEqualTo("rojo=00f067aa0ba902b7");
    assertThat(headers.valueCharAt(2, 0)).isEqualTo('1');
  }

  @Test
  void ofPairs_oddCount_rejectedWithCount() {
    assertThatThrownBy(() -> RequestHeaders.ofPairs("traceparent"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nameValue has 1 elements");
  }

  @Test
  void ofPairs_nullValue_rejectedWithIndex() {
    assertThatThrownBy(() -> RequestHeaders.ofPairs("traceparent", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nameValue[1] is null");
  }

  @Test
  void repairPolicy_limitUnder512_rejectedNamingValue() {
    assertThatThrownBy(() -> RepairPolicy.defaults().withTracestateLimit(100))
        .hasMessage("tracestateLimit=100: must be at least 512");
  }

  @Test
  void repair_generatorReturningZero_stillWritesNonZeroIds() {
    TraceContextRepair engine = TraceContextRepair.create(RepairPolicy.defaults(), () -> 0L);
    HeaderList input = HeaderList.of(":path", "/");
    RepairResult result = engine.repair(input.view());
    assertThat(result.verdict()).isEqualTo(Verdict.REGENERATE);
    WrittenHeaders.check(engine, input, result, true);
  }

  @Test
  void idGenerator_random_neverZeroAndVaries() {
    IdGenerator ids = IdGenerator.random();
    long first = ids.nextNonZeroLong();
    boolean varied = false;
    for (int i = 0; i < 1000; i++) {
      long id = ids.nextNonZeroLong();
      assertThat(id).isNotZero();
      varied |= id != first;
    }
    assertThat(varied).isTrue();
  }
}
