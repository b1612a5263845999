package io.meshtrace.context;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.IntSupplier;

/**
 * {@link HeaderRepairBenchmark}'s two sides measured by the benchmark thread's own CPU time and
 * allocation, in alternating pairs in one JVM: for a machine so loaded by other work that
 * wall-clock (JMH) scores only measure the run queue. The thread's CPU time counts only while
 * it runs, so time slicing drops out (cache and core sharing do not).
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.meshtrace.context.HeaderRepairCpuPairs b3multi [pairs] [calls]
 * b3multi pair 1 (meshtrace first): meshtrace 61.2 ns, 0.0 B; otel 190.4 ns, 104.0 B; ratio 3.11
 * }</pre>
 * With {@code a:b} as the scenario (e.g. {@code b3incomplete:b3multi}) the baseline is the
 * engine itself on input {@code b}: a ratio below 1 says how much longer {@code a} takes.
 */
public final class HeaderRepairCpuPairs {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static volatile int sink;

  private HeaderRepairCpuPairs() {}

  public static void main(String[] args) {
    int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int calls = args.length > 2 ? Integer.parseInt(args[2]) : 500_000;
    int colon = args[0].indexOf(':');
    HeaderRepairBenchmark bench = bench(colon < 0 ? args[0] : args[0].substring(0, colon));
    IntSupplier meshtrace = () -> bench.meshtrace().verdict().ordinal();
    IntSupplier otel = () -> bench.otel().size;
    String baseline = "otel";
    if (colon >= 0) {
      // "b3incomplete:b3multi": the engine on the first input against the engine on the second.
      HeaderRepairBenchmark other = bench(args[0].substring(colon + 1));
      otel = () -> other.meshtrace().verdict().ordinal();
      baseline = other.scenario + " (meshtrace)";
    }
    run(args[0], meshtrace, otel, baseline, pairs, calls);
  }

  private static HeaderRepairBenchmark bench(String scenario) {
    HeaderRepairBenchmark bench = new HeaderRepairBenchmark();
    bench.scenario = HeaderRepairBenchmark.Scenario.valueOf(scenario);
    bench.setUp();
    return bench;
  }

  private static void run(String name, IntSupplier meshtrace, IntSupplier otel, String baseline,
      int pairs, int calls) {
    for (int i = 0; i < 6; i++) {
      measure(meshtrace, calls);
      measure(otel, calls);
    }
    double[] ratios = new double[pairs];
    double[] ours = new double[pairs];
    double[] theirs = new double[pairs];
    for (int p = 0; p < pairs; p++) {
      boolean oursFirst = p % 2 == 0;
      double[] a = measure(oursFirst ? meshtrace : otel, calls);
      double[] b = measure(oursFirst ? otel : meshtrace, calls);
      double[] m = oursFirst ? a : b;
      double[] o = oursFirst ? b : a;
      ours[p] = m[0];
      theirs[p] = o[0];
      ratios[p] = o[0] / m[0];
      System.out.printf("%s pair %d (%s first): meshtrace %.1f ns, %.1f B; %s %.1f ns, %.1f B; ratio %.2f%n",
          name, p + 1, oursFirst ? "meshtrace" : baseline, m[0], m[1], baseline, o[0], o[1], ratios[p]);
    }
    System.out.printf("%s median of %d pairs: meshtrace %.1f ns CPU, %s %.1f ns CPU, ratio %.2f%n",
        name, pairs, median(ours), baseline, median(theirs), median(ratios));
  }

  /** CPU ns and allocated bytes per call of the current thread over {@code calls} calls. */
  private static double[] measure(IntSupplier side, int calls) {
    long thread = Thread.currentThread().getId();
    long bytes = THREADS.getThreadAllocatedBytes(thread);
    long cpu = THREADS.getCurrentThreadCpuTime();
    int acc = 0;
    for (int i = 0; i < calls; i++) {
      acc += side.getAsInt();
    }
    cpu = THREADS.getCurrentThreadCpuTime() - cpu;
    bytes = THREADS.getThreadAllocatedBytes(thread) - bytes;
    sink = acc;
    return new double[] {(double) cpu / calls, (double) bytes / calls};
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
