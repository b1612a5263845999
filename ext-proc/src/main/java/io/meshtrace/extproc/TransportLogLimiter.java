package io.meshtrace.extproc;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Bounds what peers can make grpc-java's server log through {@code java.util.logging}: every
 * HTTP/2 stream error at WARNING with a stack trace (each stream opened over a connection's
 * stream limit, each write racing a reset), every failed connection at INFO, and each message
 * that does not parse twice (WARNING and SEVERE, with stack traces). A client opening 10,000
 * streams on one connection wrote 9,000 stack traces. Here each of those loggers writes at most
 * one line per interval, the exception's text instead of its stack trace, with the count of
 * lines dropped since.
 */
final class TransportLogLimiter implements Filter {

  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final int MAX_LINE_CHARS = 500;
  /** Strong references: a JUL logger without one may be collected and lose its filter. */
  private static final Logger STREAMS =
      Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
  private static final Logger CONNECTIONS =
      Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections");
  private static final Logger MESSAGES =
      Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream");
  /** Also where an exception thrown by a handler on the transport thread is logged. */
  private static final Logger CALLBACKS =
      Logger.getLogger("io.grpc.internal.SerializeReentrantCallsDirectExecutor");

  private final AtomicLong nextAllowedNanos = new AtomicLong(System.nanoTime());
  private final AtomicLong dropped = new AtomicLong();

  TransportLogLimiter() {}

  /** Puts a limiter on each of grpc's transport loggers, once per process. */
  static synchronized void install() {
    for (Logger logger : new Logger[] {STREAMS, CONNECTIONS, MESSAGES, CALLBACKS}) {
      if (!(logger.getFilter() instanceof TransportLogLimiter)) {
        logger.setFilter(new TransportLogLimiter());
      }
    }
  }

  @Override
  public boolean isLoggable(LogRecord record) {
    if (record.getLevel().intValue() < Level.INFO.intValue()) {
      return true; // off unless someone turned debug logging on, then wanted as it is
    }
    long now = System.nanoTime();
    long next = nextAllowedNanos.get();
    if (now - next < 0 || !nextAllowedNanos.compareAndSet(next, now + INTERVAL_NANOS)) {
      dropped.incrementAndGet();
      return false;
    }
    StringBuilder line = new StringBuilder(new SimpleFormatter().formatMessage(record));
    Throwable thrown = record.getThrown();
    if (thrown != null) {
      line.append(": ").append(thrown);
      record.setThrown(null);
    }
    if (line.length() > MAX_LINE_CHARS) {
      line.setLength(MAX_LINE_CHARS);
      line.append("...");
    }
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) < 0x20) {
        line.setCharAt(i, ' ');
      }
    }
    long more = dropped.getAndSet(0);
    if (more > 0) {
      line.append(" (").append(more).append(" similar lines dropped in the last ")
          .append(TimeUnit.NANOSECONDS.toSeconds(INTERVAL_NANOS)).append(" s or more)");
    }
    record.setMessage(line.toString());
    record.setParameters(null);
    return true;
  }
}
