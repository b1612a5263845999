package io.meshtrace.context;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The gateway's per-request header work: {@link TraceContextRepair#repair} against
 * OpenTelemetry Java's propagators extracting the same headers and injecting the result
 * (what an OTel-instrumented gateway does per request), on the same input in the same run.
 *
 * <p>Every scenario is a whole Envoy-shaped request header block (pseudo-headers, user agent,
 * forwarding headers, {@code x-request-id}) plus the trace headers under test, with values
 * taken from the W3C Trace Context and B3 specifications. The policy is the one under which
 * the input is complete: a W3C mesh for {@code w3c}, a B3 mesh for {@code b3multi} and
 * {@code b3single}, the defaults (w3c + b3multi) for the repair and regenerate cases.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HeaderRepairBenchmark -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class HeaderRepairBenchmark {

  /** Requests as a gateway receives them, before any trace header. */
  static final String[] ENVOY_HEADERS = {
      ":authority", "bookinfo.example.com",
      ":path", "/productpage?u=normal",
      ":method", "GET",
      ":scheme", "https",
      "user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
      "accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      "accept-encoding", "gzip, deflate, br",
      "x-forwarded-for", "203.0.113.17",
      "x-forwarded-proto", "https",
      "x-envoy-external-address", "203.0.113.17",
  };

  static final String REQUEST_ID = "d2b7c6a0-52f4-4a6e-9b1d-7f0c3e8a9b21";

  /**
   * The inputs. The first three are complete under their policy (pass); the others are repaired
   * or regenerated under the defaults.
   */
  public enum Scenario {
    /** W3C spec example traceparent + two-member tracestate, W3C mesh. */
    w3c(Verdict.PASS, mesh(PropagationFormat.W3C),
        "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "x-request-id", REQUEST_ID),
    /** B3 spec example, all four multi headers, B3 multi mesh. */
    b3multi(Verdict.PASS, mesh(PropagationFormat.B3_MULTI),
        "x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7",
        "x-b3-spanid", "e457b5a2e4d86bd1",
        "x-b3-parentspanid", "05e3ac9a4f6e3b90",
        "x-b3-sampled", "1",
        "x-request-id", REQUEST_ID),
    /** B3 spec example single header, B3 single mesh. */
    b3single(Verdict.PASS, mesh(PropagationFormat.B3_SINGLE),
        "b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90",
        "x-request-id", REQUEST_ID),
    /** Trace id and decision but no span id: Envoy would start a new trace. */
    b3incomplete(Verdict.REPAIR, RepairPolicy.defaults(),
        "x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7",
        "x-b3-sampled", "1",
        "x-request-id", REQUEST_ID),
    /** A UUID sent as {@code b3}, the commonest real malformed value. */
    malformed(Verdict.REGENERATE, RepairPolicy.defaults(),
        "b3", "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "x-request-id", REQUEST_ID),
    /** No trace headers and no request id. */
    none(Verdict.REGENERATE, RepairPolicy.defaults());

    final Verdict expected;
    final RepairPolicy policy;
    final String[] traceHeaders;

    Scenario(Verdict expected, RepairPolicy policy, String... traceHeaders) {
      this.expected = expected;
      this.policy = policy;
      this.traceHeaders = traceHeaders;
    }

    private static RepairPolicy mesh(PropagationFormat format) {
      return RepairPolicy.defaults().withOutputFormats(EnumSet.of(format)).withWinner(format);
    }

    /** The OTel propagator a gateway of this mesh would run. */
    TextMapPropagator otelPropagator() {
      switch (this) {
        case w3c:
          return W3CTraceContextPropagator.getInstance();
        case b3single:
          return B3Propagator.injectingSingleHeader();
        case b3multi:
        case b3incomplete:
          return B3Propagator.injectingMultiHeaders();
        default:
          return TextMapPropagator.composite(
              W3CTraceContextPropagator.getInstance(), B3Propagator.injectingMultiHeaders());
      }
    }

    /** Name, value, name, value... of the whole request header block. */
    public String[] request() {
      String[] all = Arrays.copyOf(ENVOY_HEADERS, ENVOY_HEADERS.length + traceHeaders.length);
      System.arraycopy(traceHeaders, 0, all, ENVOY_HEADERS.length, traceHeaders.length);
      return all;
    }
  }

  @Param
  public Scenario scenario;

  TraceContextRepair repair;
  RequestHeaders headers;

  TextMapPropagator propagator;
  HeaderArray carrier;
  HeaderArray injected;

  @Setup(Level.Trial)
  public void setUp() {
    String[] request = scenario.request();
    repair = TraceContextRepair.create(scenario.policy);
    headers = RequestHeaders.ofPairs(request);
    RepairResult result = repair.repair(headers);
    if (result.verdict() != scenario.expected) {
      throw new IllegalStateException(
          scenario + ": expected " + scenario.expected + " but the engine answered " + result);
    }
    propagator = scenario.otelPropagator();
    carrier = new HeaderArray(request);
    injected = new HeaderArray(new String[16]);
    otel();
    if (scenario.expected == Verdict.PASS && injected.size == 0) {
      throw new IllegalStateException(scenario + ": OpenTelemetry injected nothing");
    }
  }

  @Benchmark
  public RepairResult meshtrace() {
    return repair.repair(headers);
  }

  /** Baseline: extract with OpenTelemetry, inject what it extracted. */
  @Benchmark
  public HeaderArray otel() {
    Context context = propagator.extract(Context.root(), carrier, HeaderArray.GETTER);
    injected.size = 0;
    propagator.inject(context, injected, HeaderArray.SETTER);
    return injected;
  }

  /**
   * Name/value pairs in one array, as the gateway holds them; the getter matches names
   * ignoring case because OTel's B3 propagator asks for {@code X-B3-TraceId}. Writing reuses the
   * array so the baseline's allocations are OpenTelemetry's own.
   */
  static final class HeaderArray {
    static final TextMapGetter<HeaderArray> GETTER = new TextMapGetter<>() {
      @Override
      public Iterable<String> keys(HeaderArray carrier) {
        String[] names = new String[carrier.size / 2];
        for (int i = 0; i < names.length; i++) {
          names[i] = carrier.pairs[2 * i];
        }
        return List.of(names);
      }

      @Override
      public String get(HeaderArray carrier, String key) {
        if (carrier == null) {
          return null;
        }
        String[] pairs = carrier.pairs;
        for (int i = 0; i < carrier.size; i += 2) {
          if (pairs[i].equalsIgnoreCase(key)) {
            return pairs[i + 1];
          }
        }
        return null;
      }
    };

    static final TextMapSetter<HeaderArray> SETTER = (carrier, key, value) -> {
      if (carrier != null && carrier.size + 2 <= carrier.pairs.length) {
        carrier.pairs[carrier.size++] = key;
        carrier.pairs[carrier.size++] = value;
      }
    };

    final String[] pairs;
    int size;

    HeaderArray(String[] pairs) {
      this.pairs = pairs;
      this.size = pairs[0] == null ? 0 : pairs.length;
    }
  }
}
