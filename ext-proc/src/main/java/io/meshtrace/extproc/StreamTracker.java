package io.meshtrace.extproc;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts open ext_proc streams, enforces the concurrency limit, supports draining, and keeps
 * the streams that have not sent their first message yet so that silent ones can be ended.
 */
final class StreamTracker {

  private final int maxStreams;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private volatile boolean draining;
  private final Set<ProcessingStream> silent = ConcurrentHashMap.newKeySet();

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

  void awaitingFirstMessage(ProcessingStream stream) {
    silent.add(stream);
  }

  void firstMessageArrived(ProcessingStream stream) {
    silent.remove(stream);
  }

  /** Ends the streams that sent nothing within {@code timeoutNanos}; returns how many. */
  int expireSilent(long nowNanos, long timeoutNanos) {
    int expired = 0;
    for (ProcessingStream stream : silent) {
      if (nowNanos - stream.openedAtNanos() > timeoutNanos && stream.expire()) {
        expired++;
      }
    }
    return expired;
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
