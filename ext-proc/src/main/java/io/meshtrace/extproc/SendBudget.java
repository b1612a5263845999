package io.meshtrace.extproc;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The response bytes one connection has written and its peer has not yet taken, against a
 * bound. Each stream reads its next message only once its last response went out, so a peer
 * that stops reading holds at most one response per stream; this bound caps the sum over the
 * streams of the connection, whatever their number and the size of their responses (echoed body
 * chunks are as large as the peer makes them).
 */
final class SendBudget {

  private final long maxUnsentBytes;
  private final AtomicLong unsent = new AtomicLong();

  SendBudget(long maxUnsentBytes) {
    this.maxUnsentBytes = maxUnsentBytes;
  }

  /**
   * Counts {@code bytes} about to be written; false, counting nothing, when that would go over
   * the bound. A connection with nothing unsent always takes one response, however large, so a
   * bound below the message size limit still lets every message through a peer that reads.
   */
  boolean tryReserve(int bytes) {
    long after = unsent.addAndGet(bytes);
    if (after > maxUnsentBytes && after != bytes) {
      unsent.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  /** {@code bytes} reserved earlier went out, or their stream is gone. */
  void release(long bytes) {
    unsent.addAndGet(-bytes);
  }

  long unsentBytes() {
    return unsent.get();
  }

  long maxUnsentBytes() {
    return maxUnsentBytes;
  }
}
