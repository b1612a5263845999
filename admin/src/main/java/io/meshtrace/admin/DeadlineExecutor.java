package io.meshtrace.admin;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin server's bounded thread pool, with a deadline on the time a request may spend on
 * the network.
 *
 * <p>The JDK HTTP server reads a request's line and headers on the executor thread, with a
 * blocking read and no timeout of its own (its {@code sun.net.httpserver.maxReqTime} is one
 * JVM-wide setting, read once, that a library cannot rely on). A client sending one byte a
 * second would hold a thread forever. So every task is armed with a deadline when it starts
 * (reading the request head and body), disarmed while the route runs (it may write a file and
 * must not be interrupted), and armed again while the answer is written. A watchdog interrupts
 * a thread whose deadline passed; the interrupt closes the blocked socket channel
 * ({@code ClosedByInterruptException}), the JDK drops that connection, and the thread is free.
 */
final class DeadlineExecutor extends ThreadPoolExecutor {

  private static final long WATCH_PERIOD_MILLIS = 100;

  private final long readNanos;
  private final long writeNanos;
  private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService watchdog;
  private final Runnable onTimeout;

  DeadlineExecutor(String name, int threads, Duration read, Duration write, Runnable onTimeout) {
    super(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    this.readNanos = read.toNanos();
    this.writeNanos = write.toNanos();
    this.onTimeout = onTimeout;
    AtomicInteger count = new AtomicInteger();
    setThreadFactory(task -> {
      Worker w = new Worker(task, name + "-" + count.incrementAndGet());
      w.setDaemon(true);
      return w;
    });
    allowCoreThreadTimeOut(true);
    watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread t = new Thread(task, name + "-deadlines");
      t.setDaemon(true);
      return t;
    });
    watchdog.scheduleWithFixedDelay(this::expire, WATCH_PERIOD_MILLIS, WATCH_PERIOD_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  @Override
  protected void beforeExecute(Thread t, Runnable r) {
    ((Worker) t).arm(readNanos);
  }

  @Override
  protected void afterExecute(Runnable r, Throwable t) {
    Worker.current().disarm();
  }

  @Override
  protected void terminated() {
    watchdog.shutdownNow();
  }

  /** Called by a route before it runs: the request has been read. */
  static void requestRead() {
    Worker w = Worker.current();
    if (w != null) {
      w.disarm();
    }
  }

  /** Called before the answer is written: the client has {@code write} to take it. */
  void writing() {
    Worker w = Worker.current();
    if (w != null) {
      w.arm(writeNanos);
    }
  }

  private void expire() {
    long now = System.nanoTime();
    for (Worker w : workers) {
      if (w.expire(now)) {
        onTimeout.run();
      }
    }
  }

  private final class Worker extends Thread {

    /** System.nanoTime() after which the thread is interrupted; 0 while disarmed. */
    private long deadline;

    Worker(Runnable task, String name) {
      super(task, name);
    }

    static Worker current() {
      return Thread.currentThread() instanceof Worker w ? w : null;
    }

    @Override
    public void run() {
      workers.add(this);
      try {
        super.run();
      } finally {
        workers.remove(this);
      }
    }

    synchronized void arm(long nanos) {
      long d = System.nanoTime() + nanos;
      deadline = d == 0 ? 1 : d;
    }

    /**
     * Disarms, and clears an interrupt that may have come after the last blocking call: under
     * the same lock as {@link #expire}, so none can come after this returns.
     */
    synchronized void disarm() {
      deadline = 0;
      Thread.interrupted();
    }

    synchronized boolean expire(long now) {
      if (deadline == 0 || now - deadline < 0) {
        return false;
      }
      deadline = 0;
      interrupt();
      return true;
    }
  }
}
