package io.meshtrace.xds;

import io.envoyproxy.controlplane.cache.SimpleCache;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.server.ControlPlane;
import io.meshtrace.xds.server.Metrics;
import io.meshtrace.xds.server.ProxyRegistry;
import io.meshtrace.xds.server.XdsServer;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.VersionedSnapshot;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The server side of the xDS push benchmark, in its own JVM so that its heap holds only what the
 * control plane keeps per connected node: {@code meshtrace} (our {@link ControlPlane} and
 * {@link XdsServer}) or {@code simplecache} (the baseline: java-control-plane's
 * {@code V3DiscoveryServer} over a plain {@code SimpleCache}, fed the same snapshots, built in
 * advance). Reads commands on standard input, one per line:
 *
 * <pre>
 * sampling 2.5   swap in the generated mesh with that mesh-wide sampling; answers APPLIED &lt;ms&gt;
 * heap           full GC, then answers HEAP &lt;bytes used&gt;
 * </pre>
 * Prints {@code PORT <n>} once serving; exits when standard input closes.
 *
 * <p>Arguments: {@code meshtrace|simplecache <services> <sampling>...}: every sampling value the
 * run will use is parsed (and, for the baseline, built) before serving.
 */
public final class XdsBenchServerMain {

  private XdsBenchServerMain() {}

  public static void main(String[] args) throws Exception {
    String kind = args[0];
    int services = Integer.parseInt(args[1]);
    Map<String, MeshConfig> configs = new HashMap<>();
    for (int i = 2; i < args.length; i++) {
      configs.put(args[i], GeneratedMesh.config(services, Double.parseDouble(args[i])));
    }
    MeshConfig first = configs.get(args[2]);
    Server server;
    Command sampling;
    if (kind.equals("meshtrace")) {
      Metrics metrics = new Metrics();
      ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
      check(plane.apply(first));
      XdsServer xds = XdsServer.start(XdsServer.builder(first.server(), 0), plane);
      server = null;
      sampling = value -> check(plane.apply(configs.get(value)));
      System.out.println("PORT " + xds.port());
    } else if (kind.equals("simplecache")) {
      SimpleCache<GroupKey, VersionedSnapshot> cache = new SimpleCache<>(new NodeGroups()) {};
      Map<String, Map<GroupKey, MeshSnapshots.Result>> built = new HashMap<>();
      for (Map.Entry<String, MeshConfig> e : configs.entrySet()) {
        Map<GroupKey, MeshSnapshots.Result> all = MeshSnapshots.buildAll(e.getValue(), Set.of());
        check(MeshSnapshots.errors(all));
        built.put(e.getKey(), all);
      }
      sampling = value -> built.get(value).values()
          .forEach(r -> cache.setSnapshot(r.group(), r.snapshot()));
      sampling.run(args[2]);
      V3DiscoveryServer discovery = new V3DiscoveryServer(cache);
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .permitKeepAliveTime(30, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .addService(discovery.getAggregatedDiscoveryServiceImpl())
          .build()
          .start();
      System.out.println("PORT " + server.getPort());
    } else {
      System.err.println("unknown server " + kind + ": expected meshtrace or simplecache");
      System.exit(2);
      return;
    }
    System.out.flush();

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("sampling ")) {
        long start = System.nanoTime();
        sampling.run(line.substring("sampling ".length()).trim());
        System.out.println("APPLIED " + (System.nanoTime() - start) / 1_000_000);
      } else if (line.equals("heap")) {
        System.out.println("HEAP " + usedHeapAfterGc());
      } else {
        System.out.println("ERROR unknown command " + line);
      }
      System.out.flush();
    }
    if (server != null) {
      server.shutdownNow();
    }
    System.exit(0);
  }

  private interface Command {
    void run(String value) throws Exception;
  }

  private static void check(List<String> errors) {
    if (!errors.isEmpty()) {
      throw new IllegalStateException("generated mesh rejected: " + errors);
    }
  }

  static long usedHeapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
