package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.meshtrace.context.HeaderRepairBenchmark.Scenario;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ext_proc round trips per second over real gRPC on 127.0.0.1: our service against the no-op
 * baseline, each in its own server JVM started by the fork's setup; the fork itself is the
 * client (one channel, {@code directExecutor()}, the way one Envoy worker talks to its
 * ext_proc cluster). One benchmark op starts one stream as soon as one of the {@code window}
 * in-flight streams has ended, so the score is completed requests per second at that
 * concurrency.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ExtProcRoundTripBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ExtProcRoundTripBenchmark {

  /** Which server answers. */
  @Param({"meshtrace", "noop"})
  public String server;

  /**
   * The request: {@code w3c} passes untouched (a W3C mesh's valid context, answered empty under
   * the defaults only when B3 agrees, so the engine still parses and compares everything);
   * {@code b3incomplete} is repaired (mutations built and sent).
   */
  @Param({"b3incomplete", "w3c"})
  public String headers;

  /** Streams in flight at once. */
  @Param({"64"})
  public int window;

  private ServerProcess process;
  private ExtProcClient client;
  private ProcessingRequest request;
  private Semaphore slots;
  private final AtomicReference<String> failure = new AtomicReference<>();
  private ExtProcClient.Completion completion;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    process = ServerProcess.start(server, "512m");
    client = new ExtProcClient(process.port());
    request = ExtProcClient.requestHeaders(requestFor(headers));
    ProcessingResponse first = ExtProcClient.roundTrip(client, request);
    boolean mutated = first.getRequestHeaders().getResponse().getHeaderMutation().getSetHeadersCount() > 0;
    boolean repairExpected = server.equals("meshtrace") && headers.equals("b3incomplete");
    if (mutated != repairExpected) {
      throw new IllegalStateException(server + "/" + headers + ": expected "
          + (repairExpected ? "header mutations" : "an empty headers response") + " but got " + first);
    }
    slots = new Semaphore(window);
    completion = new ExtProcClient.Completion() {
      @Override
      public void response(ProcessingResponse response, long nanoTime) {
        if (!response.hasRequestHeaders()) {
          failure.compareAndSet(null, "response of the wrong kind: " + response);
        }
      }

      @Override
      public void closed(Status status) {
        if (!status.isOk()) {
          failure.compareAndSet(null, "stream failed: " + status);
        }
        slots.release();
      }
    };
  }

  /** The whole request header block of {@code name}, plus the defaults-policy agreement. */
  static String[] requestFor(String name) {
    Scenario scenario = Scenario.valueOf(name);
    if (scenario == Scenario.w3c) {
      // Under the server's defaults (w3c + b3multi out) a W3C-only request is repaired to add
      // B3; with B3 headers of the same trace alongside, it passes, as in a mesh running both.
      String[] w3c = scenario.request();
      String[] both = java.util.Arrays.copyOf(w3c, w3c.length + 6);
      int i = w3c.length;
      both[i++] = "x-b3-traceid";
      both[i++] = "0af7651916cd43dd8448eb211c80319c";
      both[i++] = "x-b3-spanid";
      both[i++] = "b7ad6b7169203331";
      both[i++] = "x-b3-sampled";
      both[i] = "1";
      return both;
    }
    return scenario.request();
  }

  @Benchmark
  public void roundTrip() throws InterruptedException {
    slots.acquire();
    String failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException(server + ": " + failed);
    }
    client.send(request, completion);
  }

  @TearDown(Level.Iteration)
  public void drain() throws InterruptedException {
    if (!slots.tryAcquire(window, 10, TimeUnit.SECONDS)) {
      throw new IllegalStateException(server + ": streams still open 10 s after the iteration");
    }
    slots.release(window);
    String failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException(server + ": " + failed);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    client.close();
    process.close();
  }
}
