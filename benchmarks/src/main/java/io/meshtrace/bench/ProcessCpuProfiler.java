package io.meshtrace.bench;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time of the benchmark JVM per operation ({@code cpu.time.norm}, ns/op): all its threads,
 * the benchmark's own plus GC and JIT, over each iteration's operations. Unlike the wall-clock
 * score it hardly moves when other processes compete for the cores, so ratios between two
 * benchmarks measured minutes apart on a busy machine stay comparable. (GC work caused by
 * allocation is counted, which is a real per-request cost.)
 *
 * <p>Use: {@code java -jar benchmarks.jar <regex> -prof io.meshtrace.bench.ProcessCpuProfiler}
 */
public final class ProcessCpuProfiler implements InternalProfiler {

  private long cpuAtStart;

  @Override
  public String getDescription() {
    return "process CPU time per operation (all threads of the benchmark JVM)";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    cpuAtStart = processCpuNanos();
  }

  @Override
  public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
      IterationParams iterationParams, IterationResult result) {
    long cpu = processCpuNanos() - cpuAtStart;
    long ops = result.getMetadata().getAllOps();
    double perOp = ops == 0 ? Double.NaN : (double) cpu / ops;
    return List.of(new ScalarResult("cpu.time.norm", perOp, "ns/op", AggregationPolicy.AVG));
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
