package io.meshtrace.xds;

import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeRole;
import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Config push to {@code nodes} Envoy sidecars over real gRPC: one op changes the mesh-wide
 * sampling percentage and lasts until every node has ACKed the new versions of every resource
 * type of its group. The server runs in its own JVM ({@link XdsBenchServerMain}), started by the
 * fork's setup; the fork holds the simulated Envoys ({@link EnvoyFleet}), one connection each.
 *
 * <p>{@code meshtrace}: our control plane; the op includes building and checking every group's
 * snapshot ({@code ControlPlane.apply}). {@code simplecache}: the baseline, a plain
 * java-control-plane {@code SimpleCache} handed the same snapshots, built before the op.
 *
 * <p>Setup also prints the server's heap per connected node: used heap after a full GC with all
 * nodes connected and converged, minus the same before any connected, over {@code nodes}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar XdsPushBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class XdsPushBenchmark {

  private static final String[] SAMPLING = {"1.00", "2.50"};

  @Param({"100", "1000", "10000"})
  public int nodes;

  @Param({"meshtrace", "simplecache"})
  public String server;

  /** Services in the mesh; the nodes are spread over them. */
  @Param({"100"})
  public int services;

  private XdsServerProcess process;
  private EnvoyFleet fleet;
  private final Map<String, Map<String, Map<String, String>>> versions = new HashMap<>();
  private int next;
  private final java.util.List<Long> applyMillis = new java.util.ArrayList<>();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    for (String sampling : SAMPLING) {
      MeshConfig config = GeneratedMesh.config(services, Double.parseDouble(sampling));
      Map<String, Map<String, String>> byGroup = new HashMap<>();
      for (int s = 0; s < services; s++) {
        String group = new GroupKey(NodeRole.SIDECAR, GeneratedMesh.serviceName(s)).toString();
        byGroup.put(group, MeshSnapshots.build(config, group).versions());
      }
      versions.put(sampling, byGroup);
    }
    process = XdsServerProcess.start(server, services, "4g", SAMPLING);
    long heapBefore = process.heapUsed();
    fleet = new EnvoyFleet(process.port(), nodes, services);
    fleet.expect(versions.get(SAMPLING[0]));
    long start = System.nanoTime();
    fleet.connect();
    if (!fleet.await(180, TimeUnit.SECONDS)) {
      throw new IllegalStateException(server + ": " + fleet.pending() + " of " + nodes
          + " nodes did not receive and ACK their first snapshot in 180 s");
    }
    long connectMillis = (System.nanoTime() - start) / 1_000_000;
    long heapAfter = process.heapUsed();
    System.out.printf(Locale.ROOT,
        "%n%s: %d nodes connected and ACKed in %d ms; server heap %d -> %d bytes = %.1f KB"
            + " per connected node%n",
        server, nodes, connectMillis, heapBefore, heapAfter,
        (heapAfter - heapBefore) / 1024.0 / nodes);
    next = 1;
  }

  @Benchmark
  public void push() throws InterruptedException, IOException {
    String sampling = SAMPLING[next];
    next = 1 - next;
    fleet.expect(versions.get(sampling));
    process.send("sampling " + sampling);
    if (!fleet.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(server + ": " + fleet.pending() + " of " + nodes
          + " nodes had not ACKed sampling " + sampling + " after 60 s");
    }
    applyMillis.add(Long.parseLong(process.answer("APPLIED")));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    System.out.printf(Locale.ROOT, "%n%s: %d nodes: time inside the server's swap per op (ms): %s%n",
        server, nodes, applyMillis);
    if (fleet != null) {
      fleet.close();
    }
    if (process != null) {
      process.close();
    }
  }
}
