package io.meshtrace.extproc;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts open ext_proc streams, enforces the server-wide concurrency limit, supports draining,
 * and keeps the open streams so that quiet ones can be ended.
 */
final class StreamTracker {

  private final int maxStreams;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private volatile boolean draining;
  private final Set<ProcessingStream> open = ConcurrentHashMap.newKeySet();

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

  /** A stream got the slot {@link #tryOpen} gave. */
  void opened(ProcessingStream stream) {
    open.add(stream);
  }

  /** A stream ended and gives its slot back; once per stream. */
  void closed(ProcessingStream stream) {
    open.remove(stream);
    active.decrementAndGet();
  }

  /**
   * Ends the streams that sent nothing within {@code firstMessageNanos} of opening and those
   * that sent nothing for {@code idleNanos} after a message; counts them in {@code metrics}.
   */
  void endQuietStreams(long nowNanos, long firstMessageNanos, long idleNanos,
      ExtProcMetrics metrics) {
    int firstMessage = 0;
    int idle = 0;
    for (ProcessingStream stream : open) {
      switch (stream.endIfQuiet(nowNanos, firstMessageNanos, idleNanos)) {
        case FIRST_MESSAGE_TIMEOUT -> firstMessage++;
        case IDLE_TIMEOUT -> idle++;
        case NO -> { }
      }
    }
    if (firstMessage > 0) {
      metrics.streamsExpired(ExtProcMetrics.FIRST_MESSAGE_TIMEOUT, firstMessage);
    }
    if (idle > 0) {
      metrics.streamsExpired(ExtProcMetrics.IDLE_TIMEOUT, idle);
    }
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
