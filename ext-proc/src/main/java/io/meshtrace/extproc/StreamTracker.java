package io.meshtrace.extproc;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counts open ext_proc streams, enforces the concurrency limit and supports draining. */
final class StreamTracker {

  private final int maxStreams;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private volatile boolean draining;

  StreamTracker(int maxStreams) {
    this.maxStreams = maxStreams;
  }

  /** A new stream id, or -1 when the limit is reached or the server is draining. */
  long tryOpen() {
    if (draining) {
      return -1;
    }
    if (active.incrementAndGet() > maxStreams) {
      active.decrementAndGet();
      return -1;
    }
    return ids.incrementAndGet();
  }

  void closed() {
    active.decrementAndGet();
  }

  int active() {
    return active.get();
  }

  boolean draining() {
    return draining;
  }

  void startDraining() {
    draining = true;
  }

  /** Waits until no stream is open; false when {@code bound} passed first. */
  boolean awaitIdle(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (active.get() > 0) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }
}
