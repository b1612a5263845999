package io.meshtrace.xds.server;

import java.util.Arrays;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * Log lines whose length and rate do not depend on what clients send: values from the wire
 * (node ids, {@code error_detail} messages) are {@link #clip clipped}, and each kind of line is
 * let through a token bucket ({@code burst} lines at once, then {@code perMinute} a minute). A
 * line that follows suppressed ones says how many were dropped, so a flood shows as one line a
 * second, not as a full disk.
 */
final class BoundedLog {

  /** Characters kept of a node id or other identifier in a log line. */
  static final int ID_CHARS = 128;
  /** Characters kept of a client's free text ({@code error_detail.message}). */
  static final int TEXT_CHARS = 512;

  private final Logger log;
  private final int burst;
  private final double tokensPerNano;
  private double tokens;
  private long refilledAt = System.nanoTime();
  private long suppressed;

  BoundedLog(Logger log, int burst, int perMinute) {
    this.log = log;
    this.burst = burst;
    this.tokens = burst;
    this.tokensPerNano = perMinute / 60e9;
  }

  /** The logger, for lines that are not driven by clients. */
  Logger logger() {
    return log;
  }

  /** Logs at INFO when the bucket allows. */
  void info(String format, Object... args) {
    long dropped = permit();
    if (dropped >= 0 && log.isInfoEnabled()) {
      log.info(withSuppressed(format, dropped), withSuppressed(args, dropped));
    }
  }

  /** Logs at WARN when the bucket allows. */
  void warn(String format, Object... args) {
    long dropped = permit();
    if (dropped >= 0 && log.isWarnEnabled()) {
      log.warn(withSuppressed(format, dropped), withSuppressed(args, dropped));
    }
  }

  /** Lines dropped since the last one let through. */
  synchronized long suppressed() {
    return suppressed;
  }

  /** Returns -1 when the line is dropped, else how many were dropped before it. */
  private synchronized long permit() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - refilledAt) * tokensPerNano);
    refilledAt = now;
    if (tokens < 1) {
      suppressed++;
      return -1;
    }
    tokens -= 1;
    long dropped = suppressed;
    suppressed = 0;
    return dropped;
  }

  private static String withSuppressed(String format, long dropped) {
    return dropped == 0 ? format : format + " ({} similar lines suppressed)";
  }

  private static Object[] withSuppressed(Object[] args, long dropped) {
    if (dropped == 0) {
      return args;
    }
    // The count goes before a trailing exception, which SLF4J prints as a stack trace.
    boolean thrown = args.length > 0 && args[args.length - 1] instanceof Throwable;
    Object[] out = Arrays.copyOf(args, args.length + 1);
    if (thrown) {
      out[args.length] = args[args.length - 1];
      out[args.length - 1] = dropped;
    } else {
      out[args.length] = dropped;
    }
    return out;
  }

  /**
   * A value from the wire made safe for one log line: control characters escaped
   * ({@code \n}, {@code \u001b}), cut after {@code max} characters with the count of the rest:
   * {@code sidecar~10.0.0.1~pp…[+4,000,000 chars]}.
   */
  static String clip(String s, int max) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 24);
    int i = 0;
    for (; i < s.length() && b.length() < max; i++) {
      char c = s.charAt(i);
      if (c == '\n') {
        b.append("\\n");
      } else if (c == '\r') {
        b.append("\\r");
      } else if (c == '\t') {
        b.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (i < s.length()) {
      b.append("…[+").append(String.format(Locale.ROOT, "%,d", s.length() - i)).append(" chars]");
    }
    return b.toString();
  }
}
