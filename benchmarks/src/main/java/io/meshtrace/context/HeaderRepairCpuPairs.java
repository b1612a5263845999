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
 */
public final class HeaderRepairCpuPairs {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static volatile int sink;

  private HeaderRepairCpuPairs() {}

  public static void main(String[] args) {
    HeaderRepairBenchmark bench = new HeaderRepairBenchmark();
    bench.scenario = HeaderRepairBenchmark.Scenario.valueOf(args[0]);
    int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int calls = args.length > 2 ? Integer.parseInt(args[2]) : 500_000;
    bench.setUp();
    IntSupplier meshtrace = () -> bench.meshtrace().verdict().ordinal();
    IntSupplier otel = () -> bench.otel().size;
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
      System.out.printf("%s pair %d (%s first): meshtrace %.1f ns, %.1f B; otel %.1f ns, %.1f B; ratio %.2f%n",
          bench.scenario, p + 1, oursFirst ? "meshtrace" : "otel", m[0], m[1], o[0], o[1], ratios[p]);
    }
    System.out.printf("%s median of %d pairs: meshtrace %.1f ns CPU, otel %.1f ns CPU, ratio %.2f%n",
        bench.scenario, pairs, median(ours), median(theirs), median(ratios));
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
