package io.meshtrace.xds.snapshot;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Builds the groups of one config on every core: the groups are independent (each reads the
 * immutable config; the checker they share is thread-safe), and a config change at 10,000 nodes
 * is waiting for exactly this before its push starts. The calling thread works too; the others
 * come from a small pool of daemon threads kept for the process.
 */
final class GroupBuilds {

  private static final int THREADS = Runtime.getRuntime().availableProcessors();
  /** Fewer groups than this are built on the calling thread alone. */
  private static final int PARALLEL_FROM = 8;
  private static final ExecutorService POOL = THREADS <= 1 ? null
      : Executors.newFixedThreadPool(THREADS - 1, runnable -> {
        Thread t = new Thread(runnable, "meshtrace-snapshot-build");
        t.setDaemon(true);
        return t;
      });

  private GroupBuilds() {}

  /** {@code build.apply(i)} for every {@code i} below {@code count}, results in that order. */
  static MeshSnapshots.Result[] buildAll(int count, IntFunction<MeshSnapshots.Result> build) {
    MeshSnapshots.Result[] out = new MeshSnapshots.Result[count];
    AtomicInteger next = new AtomicInteger();
    Runnable worker = () -> {
      for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
        out[i] = build.apply(i);
      }
    };
    if (POOL == null || count < PARALLEL_FROM) {
      worker.run();
      return out;
    }
    Future<?>[] helpers = new Future<?>[THREADS - 1];
    for (int h = 0; h < helpers.length; h++) {
      helpers[h] = POOL.submit(worker);
    }
    worker.run();
    for (Future<?> helper : helpers) {
      try {
        helper.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException("building a group failed", cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while groups were built", e);
      }
    }
    return out;
  }
}
