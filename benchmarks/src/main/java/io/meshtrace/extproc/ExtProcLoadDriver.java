package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Peak throughput and fixed-rate latency of ext_proc round trips, our service against the no-op
 * baseline, each server in its own JVM, this JVM the client.
 *
 * <p>Both server JVMs run for the whole test; the phases alternate between them, {@code --rounds}
 * times, and the medians are reported, so that both see the same background load.
 * Per server: (1) peak: {@code --window} streams kept in flight for {@code --seconds};
 * (2) fixed rate: requests sent open-loop at {@code --rate} per second (default: half of the
 * no-op's measured peak), latency counted from each request's scheduled send time to its
 * headers response, so a stall delays every request behind it (no coordinated omission).
 * CPU per request is the server JVM's CPU time over the requests it answered (all threads,
 * from /proc), and the same for this client JVM.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.meshtrace.extproc.ExtProcLoadDriver \
 *     --seconds 5 --warmup 5 --rounds 3 --window 64 --headers b3incomplete
 * }</pre>
 */
public final class ExtProcLoadDriver {

  private ExtProcLoadDriver() {}

  /** What one phase measured. */
  record Phase(long requests, double seconds, double serverCpuMicrosPerRequest,
      double clientCpuMicrosPerRequest, long[] sortedLatencyNanos) {
    double perSecond() {
      return requests / seconds;
    }

    double percentileMicros(double p) {
      if (sortedLatencyNanos.length == 0) {
        return Double.NaN;
      }
      int index = (int) Math.min(sortedLatencyNanos.length - 1,
          Math.ceil(p / 100.0 * sortedLatencyNanos.length) - 1);
      return sortedLatencyNanos[Math.max(0, index)] / 1_000.0;
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = 10;
    int warmup = 5;
    int window = 64;
    double rate = 0;
    String headers = "b3incomplete";
    int rounds = 3;
    for (int i = 0; i < args.length; i += 2) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--seconds": seconds = Integer.parseInt(value); break;
        case "--warmup": warmup = Integer.parseInt(value); break;
        case "--window": window = Integer.parseInt(value); break;
        case "--rate": rate = Double.parseDouble(value); break;
        case "--headers": headers = value; break;
        case "--rounds": rounds = Integer.parseInt(value); break;
        default:
          System.err.println("unknown option " + args[i]
              + ": expected --seconds, --warmup, --window, --rate, --rounds or --headers");
          System.exit(2);
      }
    }
    ProcessingRequest request = ExtProcClient.requestHeaders(
        ExtProcRoundTripBenchmark.requestFor(headers));

    String[] servers = {"noop", "meshtrace"};
    ServerProcess[] processes = new ServerProcess[servers.length];
    ExtProcClient[] clients = new ExtProcClient[servers.length];
    Phase[][] peak = new Phase[servers.length][rounds];
    Phase[][] fixed = new Phase[servers.length][rounds];
    try {
      for (int s = 0; s < servers.length; s++) {
        processes[s] = ServerProcess.start(servers[s], "512m");
        clients[s] = new ExtProcClient(processes[s].port());
        ExtProcClient.roundTrip(clients[s], request);
      }
      // Rounds alternate the servers so that both see the same background load.
      for (int s = 0; s < servers.length; s++) {
        closedLoop(clients[s], processes[s], request, window, warmup);
      }
      for (int r = 0; r < rounds; r++) {
        for (int s = 0; s < servers.length; s++) {
          peak[s][r] = closedLoop(clients[s], processes[s], request, window, seconds);
        }
      }
      if (rate <= 0) {
        rate = median(peak[0], Phase::perSecond) / 2;
      }
      for (int s = 0; s < servers.length; s++) {
        openLoop(clients[s], processes[s], request, rate, warmup);
      }
      for (int r = 0; r < rounds; r++) {
        for (int s = 0; s < servers.length; s++) {
          fixed[s][r] = openLoop(clients[s], processes[s], request, rate, seconds);
        }
      }
    } finally {
      for (int s = 0; s < servers.length; s++) {
        if (clients[s] != null) {
          clients[s].close();
        }
        if (processes[s] != null) {
          processes[s].close();
        }
      }
    }

    System.out.printf(Locale.ROOT,
        "headers=%s window=%d seconds=%d rounds=%d fixed rate=%.0f/s (medians of the rounds)%n",
        headers, window, seconds, rounds, rate);
    System.out.println("| server | peak req/s | server CPU µs/req at peak | client CPU µs/req"
        + " | fixed-rate req/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/req at rate |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (int s = 0; s < servers.length; s++) {
      System.out.printf(Locale.ROOT,
          "| %s | %.0f | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.2f |%n",
          servers[s], median(peak[s], Phase::perSecond),
          median(peak[s], Phase::serverCpuMicrosPerRequest),
          median(peak[s], Phase::clientCpuMicrosPerRequest),
          median(fixed[s], Phase::perSecond),
          median(fixed[s], p -> p.percentileMicros(50)),
          median(fixed[s], p -> p.percentileMicros(99)),
          median(fixed[s], p -> p.percentileMicros(99.9)),
          median(fixed[s], Phase::serverCpuMicrosPerRequest));
    }
    double[] cpuRatios = new double[rounds];
    double[] peakRatios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      cpuRatios[r] = peak[1][r].serverCpuMicrosPerRequest() / peak[0][r].serverCpuMicrosPerRequest();
      peakRatios[r] = peak[1][r].perSecond() / peak[0][r].perSecond();
      System.out.printf(Locale.ROOT,
          "round %d: peak noop %.0f meshtrace %.0f (ratio %.3f); server CPU µs/req at peak noop %.2f"
              + " meshtrace %.2f (ratio %.3f); p99 noop %.0f meshtrace %.0f µs%n",
          r + 1, peak[0][r].perSecond(), peak[1][r].perSecond(), peakRatios[r],
          peak[0][r].serverCpuMicrosPerRequest(), peak[1][r].serverCpuMicrosPerRequest(),
          cpuRatios[r], fixed[0][r].percentileMicros(99), fixed[1][r].percentileMicros(99));
    }
    Arrays.sort(cpuRatios);
    Arrays.sort(peakRatios);
    System.out.printf(Locale.ROOT,
        "median of the rounds' ratios: server CPU per request %.3f, peak throughput %.3f%n",
        cpuRatios[rounds / 2], peakRatios[rounds / 2]);
    System.out.printf(Locale.ROOT,
        "throughput ratio meshtrace/noop = %.3f; added p50 = %.0f µs, added p99 = %.0f µs%n",
        median(peak[1], Phase::perSecond) / median(peak[0], Phase::perSecond),
        median(fixed[1], p -> p.percentileMicros(50)) - median(fixed[0], p -> p.percentileMicros(50)),
        median(fixed[1], p -> p.percentileMicros(99)) - median(fixed[0], p -> p.percentileMicros(99)));
  }

  private static double median(Phase[] phases, java.util.function.ToDoubleFunction<Phase> f) {
    double[] values = new double[phases.length];
    for (int i = 0; i < phases.length; i++) {
      values[i] = f.applyAsDouble(phases[i]);
    }
    Arrays.sort(values);
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static long clientCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Keeps {@code window} streams in flight for {@code seconds}. */
  static Phase closedLoop(ExtProcClient client, ServerProcess server, ProcessingRequest request,
      int window, int seconds) throws InterruptedException {
    Semaphore slots = new Semaphore(window);
    AtomicLong done = new AtomicLong();
    AtomicReference<String> failure = new AtomicReference<>();
    ExtProcClient.Completion completion = new ExtProcClient.Completion() {
      @Override
      public void response(ProcessingResponse response, long nanoTime) {}

      @Override
      public void closed(Status status) {
        if (!status.isOk()) {
          failure.compareAndSet(null, status.toString());
        }
        done.incrementAndGet();
        slots.release();
      }
    };
    Duration cpu0 = server.cpuTime();
    long client0 = clientCpuNanos();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      slots.acquire();
      client.send(request, completion);
    }
    if (!slots.tryAcquire(window, 10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("streams still open 10 s after the phase");
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long requests = done.get();
    check(failure);
    return new Phase(requests, elapsed,
        (server.cpuTime().minus(cpu0).toNanos() / 1_000.0) / requests,
        ((clientCpuNanos() - client0) / 1_000.0) / requests, new long[0]);
  }

  /** Sends at {@code rate} per second for {@code seconds}, on schedule, whatever comes back. */
  static Phase openLoop(ExtProcClient client, ServerProcess server, ProcessingRequest request,
      double rate, int seconds) throws InterruptedException {
    int total = (int) (rate * seconds);
    long interval = (long) (1e9 / rate);
    long[] latency = new long[total];
    AtomicLong done = new AtomicLong();
    AtomicReference<String> failure = new AtomicReference<>();
    Semaphore inFlight = new Semaphore(50_000);
    Duration cpu0 = server.cpuTime();
    long client0 = clientCpuNanos();
    long start = System.nanoTime();
    int sent = 0;
    while (sent < total) {
      long now = System.nanoTime();
      while (sent < total && start + sent * interval <= now) {
        long scheduled = start + sent * interval;
        int index = sent++;
        inFlight.acquire();
        client.send(request, new ExtProcClient.Completion() {
          @Override
          public void response(ProcessingResponse response, long nanoTime) {
            latency[index] = nanoTime - scheduled;
          }

          @Override
          public void closed(Status status) {
            if (!status.isOk()) {
              failure.compareAndSet(null, status.toString());
            }
            done.incrementAndGet();
            inFlight.release();
          }
        });
      }
      LockSupport.parkNanos(Math.min(interval, 20_000));
    }
    if (!inFlight.tryAcquire(50_000, 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("streams still open 30 s after the phase");
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    check(failure);
    Arrays.sort(latency);
    long requests = done.get();
    return new Phase(requests, elapsed,
        (server.cpuTime().minus(cpu0).toNanos() / 1_000.0) / requests,
        ((clientCpuNanos() - client0) / 1_000.0) / requests, latency);
  }

  private static void check(AtomicReference<String> failure) {
    if (failure.get() != null) {
      throw new IllegalStateException("a stream failed: " + failure.get());
    }
  }
}
