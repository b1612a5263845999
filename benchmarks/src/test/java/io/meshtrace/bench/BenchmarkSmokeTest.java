package io.meshtrace.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every benchmark once, briefly, in this JVM: proves each compiles, sets up its servers and
 * clients, and produces a score. Not for numbers (see README.md for how those are produced).
 */
class BenchmarkSmokeTest {

  @Test
  void everyBenchmark_runsOnceInSmokeMode_producesAScore() throws Exception {
    Set<String> declared = new TreeSet<>();
    for (BenchmarkListEntry entry : BenchmarkList.defaultList().getAll(
        OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
        java.util.List.of())) {
      declared.add(entry.getUsername());
    }
    assertThat(declared).as("benchmarks in META-INF/BenchmarkList").isNotEmpty();

    Options options = new OptionsBuilder()
        .include("io\\.meshtrace\\..*")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(150))
        .timeUnit(TimeUnit.MICROSECONDS)
        .threads(1)
        // The smallest mesh only: the large ones are for measured runs.
        .param("nodes", "100")
        .param("services", "20")
        .shouldFailOnError(true)
        .verbosity(VerboseMode.NORMAL)
        .build();
    Collection<RunResult> results = new Runner(options).run();

    Set<String> produced = new TreeSet<>();
    for (RunResult result : results) {
      double score = result.getPrimaryResult().getScore();
      assertThat(score)
          .as(result.getParams().getBenchmark() + " " + result.getParams())
          .isPositive()
          .isFinite();
      produced.add(result.getParams().getBenchmark());
    }
    assertThat(produced).isEqualTo(declared);
  }
}
