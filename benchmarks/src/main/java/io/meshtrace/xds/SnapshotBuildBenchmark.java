package io.meshtrace.xds;

import com.google.protobuf.Message;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import io.meshtrace.xds.snapshot.VersionedSnapshot;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeRole;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
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
 * Time to build and check snapshots for a generated mesh ({@link GeneratedMesh}):
 * {@code all} is every node group of the mesh (2 roles x (services + 1) groups, what a config
 * change costs the control plane before the swap), {@code widest} is the group of sidecars
 * whose service is not in the config (every service's cluster, endpoints and virtual host: the
 * largest single snapshot). Setup prints the config and snapshot sizes the time is set against.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SnapshotBuildBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SnapshotBuildBenchmark {

  @Param({"100", "1000"})
  public int services;

  MeshConfig config;
  GroupKey widestGroup;
  /** Every resource of every group, as built: the input of {@link #serializeAll}. */
  java.util.List<Message> built;

  @Setup(Level.Trial)
  public void setUp() {
    String yaml = GeneratedMesh.yaml(services, 1.0);
    config = GeneratedMesh.config(services, 1.0);
    widestGroup = new GroupKey(NodeRole.SIDECAR, "");
    Map<GroupKey, MeshSnapshots.Result> all = all();
    if (!MeshSnapshots.errors(all).isEmpty()) {
      throw new IllegalStateException("generated mesh does not build: " + MeshSnapshots.errors(all));
    }
    built = new java.util.ArrayList<>();
    long resources = 0;
    long bytes = 0;
    for (MeshSnapshots.Result r : all.values()) {
      VersionedSnapshot s = r.snapshot();
      for (Map<String, ? extends Message> byName : java.util.List.of(s.clusters().resources(),
          s.endpoints().resources(), s.listeners().resources(), s.routes().resources())) {
        resources += byName.size();
        for (Message m : byName.values()) {
          bytes += m.getSerializedSize();
          built.add(m);
        }
      }
    }
    System.out.printf(java.util.Locale.ROOT,
        "%nmesh of %d services: config %d bytes of YAML; %d groups, %d resources, %d bytes"
            + " serialized%n",
        services, yaml.getBytes(StandardCharsets.UTF_8).length, all.size(), resources, bytes);
  }

  @Benchmark
  public Map<GroupKey, MeshSnapshots.Result> all() {
    return MeshSnapshots.buildAll(config, Set.of());
  }

  /**
   * A floor, not a competitor: serializing every resource of {@link #all} once, what any
   * control plane pays to send them (and what content-hash versions cost at least once).
   */
  @Benchmark
  public long serializeAll() {
    long total = 0;
    for (int i = 0, n = built.size(); i < n; i++) {
      total += built.get(i).toByteArray().length;
    }
    return total;
  }

  @Benchmark
  public MeshSnapshots.Result widest() {
    return MeshSnapshots.build(config, widestGroup);
  }
}
