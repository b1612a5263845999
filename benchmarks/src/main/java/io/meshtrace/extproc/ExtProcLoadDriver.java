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
 * <p>Per server: (1) peak: {@code --window} streams kept in flight for {@code --seconds};
 * (2) fixed rate: requests sent open-loop at {@code --rate} per second (default: half of the
 * no-op's measured peak), latency counted from each request's scheduled send time to its
 * headers response, so a stall delays every request behind it (no coordinated omission).
 * CPU per request is the server JVM's CPU time over the requests it answered (all threads,
 * from /proc), and the same for this client JVM.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.meshtrace.extproc.ExtProcLoadDriver \
 *     --seconds 10 --warmup 5 --window 64 --headers b3incomplete
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
    for (int i = 0; i < args.length; i += 2) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--seconds": seconds = Integer.parseInt(value); break;
        case "--warmup": warmup = Integer.parseInt(value); break;
        case "--window": window = Integer.parseInt(value); break;
        case "--rate": rate = Double.parseDouble(value); break;
        case "--headers": headers = value; break;
        default:
          System.err.println("unknown option " + args[i]
              + ": expected --seconds, --warmup, --window, --rate or --headers");
          System.exit(2);
      }
    }
    ProcessingRequest request = ExtProcClient.requestHeaders(
        ExtProcRoundTripBenchmark.requestFor(headers));

    Phase[] peak = new Phase[2];
    Phase[] fixed = new Phase[2];
    String[] servers = {"noop", "meshtrace"};
    for (int s = 0; s < servers.length; s++) {
      try (ServerProcess server = ServerProcess.start(servers[s], "512m");
           ExtProcClient client = new ExtProcClient(server.port())) {
        ExtProcClient.roundTrip(client, request);
        closedLoop(client, server, request, window, warmup);
        peak[s] = closedLoop(client, server, request, window, seconds);
        if (rate <= 0) {
          rate = peak[0].perSecond() / 2;
        }
        openLoop(client, server, request, rate, warmup);
        fixed[s] = openLoop(client, server, request, rate, seconds);
      }
    }

    System.out.printf(Locale.ROOT, "headers=%s window=%d seconds=%d fixed rate=%.0f/s%n",
        headers, window, seconds, rate);
    System.out.println("| server | peak req/s | server CPU µs/req at peak | client CPU µs/req"
        + " | fixed-rate req/s | p50 µs | p99 µs | p99.9 µs | max µs | server CPU µs/req at rate |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (int s = 0; s < servers.length; s++) {
      System.out.printf(Locale.ROOT,
          "| %s | %.0f | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f |%n",
          servers[s], peak[s].perSecond(), peak[s].serverCpuMicrosPerRequest(),
          peak[s].clientCpuMicrosPerRequest(), fixed[s].perSecond(),
          fixed[s].percentileMicros(50), fixed[s].percentileMicros(99),
          fixed[s].percentileMicros(99.9), fixed[s].percentileMicros(100),
          fixed[s].serverCpuMicrosPerRequest());
    }
    System.out.printf(Locale.ROOT,
        "throughput ratio meshtrace/noop = %.3f; added p50 = %.0f µs, added p99 = %.0f µs%n",
        peak[1].perSecond() / peak[0].perSecond(),
        fixed[1].percentileMicros(50) - fixed[0].percentileMicros(50),
        fixed[1].percentileMicros(99) - fixed[0].percentileMicros(99));
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
