package io.meshtrace.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * Writes each log event as exactly one line, whatever its message or exception holds.
 *
 * <pre>
 * text: 2026-12-02T15:10:00.123Z WARN  [grpc-default-executor-0] StreamGuard - node x: ... {node=x}
 * json: {"timestamp":"2026-12-02T15:10:00.123Z","level":"WARN","logger":"io.meshtrace.xds.server.StreamGuard",
 *        "thread":"grpc-default-executor-0","message":"node x: ...","mdc":{"node":"x"},
 *        "exception":"java.io.IOException: reset\n\tat ..."}
 * </pre>
 * A stack trace is cut to {@value #MAX_FRAMES} frames per throwable and {@value #MAX_CAUSES}
 * causes, and the whole exception to {@value #MAX_EXCEPTION_CHARS} characters: enough to place
 * a bug, while a peer that makes a server fail on every request cannot make it log megabytes.
 * In text, control characters (a CR or LF a client put in a value) are written as
 * {@code \xNN}; the lines of an exception are joined with {@code " | "}.
 *
 * <p>Written here rather than taking logback's {@code JsonEncoder}: that one writes the
 * unformatted message pattern and its arguments, the time as epoch milliseconds and the whole
 * stack trace of every cause.
 */
final class LogLineEncoder extends EncoderBase<ILoggingEvent> {

  static final int MAX_FRAMES = 12;
  static final int MAX_CAUSES = 3;
  static final int MAX_EXCEPTION_CHARS = 8192;
  static final int MAX_MESSAGE_CHARS = 16384;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final byte[] NO_BYTES = new byte[0];

  private final LogOptions.Format format;

  LogLineEncoder(LogOptions.Format format) {
    this.format = format;
  }

  @Override
  public byte[] headerBytes() {
    return NO_BYTES;
  }

  @Override
  public byte[] footerBytes() {
    return NO_BYTES;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    String line = format == LogOptions.Format.JSON ? json(event) : text(event);
    return line.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(128);
    b.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ');
    String level = event.getLevel().toString();
    b.append(level);
    for (int i = level.length(); i < 5; i++) {
      b.append(' ');
    }
    b.append(" [");
    appendText(b, event.getThreadName());
    b.append("] ");
    String logger = event.getLoggerName();
    b.append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(" - ");
    appendText(b, clip(event.getFormattedMessage(), MAX_MESSAGE_CHARS));
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null && !mdc.isEmpty()) {
      b.append(' ');
      appendText(b, mdc.toString());
    }
    if (event.getThrowableProxy() != null) {
      b.append(" | ");
      appendText(b, exception(event.getThrowableProxy()).replace("\n\t", " | ")
          .replace("\n", " | "));
    }
    return b.append('\n').toString();
  }

  private static String json(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(256);
    b.append("{\"timestamp\":\"").append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp())))
        .append("\",\"level\":\"").append(event.getLevel()).append('"');
    field(b, "logger", event.getLoggerName());
    field(b, "thread", event.getThreadName());
    field(b, "message", clip(event.getFormattedMessage(), MAX_MESSAGE_CHARS));
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null && !mdc.isEmpty()) {
      b.append(",\"mdc\":{");
      boolean first = true;
      for (Map.Entry<String, String> e : mdc.entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        appendJsonString(b, e.getKey());
        b.append(':');
        appendJsonString(b, e.getValue());
      }
      b.append('}');
    }
    if (event.getThrowableProxy() != null) {
      field(b, "exception", exception(event.getThrowableProxy()));
    }
    return b.append("}\n").toString();
  }

  /** {@code class: message}, then the first frames, then each cause the same way, bounded. */
  static String exception(IThrowableProxy thrown) {
    StringBuilder b = new StringBuilder(512);
    int causes = 0;
    for (IThrowableProxy t = thrown; t != null; t = t.getCause()) {
      if (causes > 0) {
        if (causes > MAX_CAUSES) {
          b.append("\n(further causes left out)");
          break;
        }
        b.append("\nCaused by: ");
      }
      b.append(t.getClassName());
      if (t.getMessage() != null) {
        b.append(": ").append(t.getMessage());
      }
      StackTraceElementProxy[] frames = t.getStackTraceElementProxyArray();
      int shown = Math.min(frames.length, MAX_FRAMES);
      for (int i = 0; i < shown; i++) {
        b.append("\n\tat ").append(frames[i].getStackTraceElement());
      }
      if (frames.length > shown) {
        b.append("\n\t... ").append(frames.length - shown).append(" more");
      }
      causes++;
    }
    return clip(b.toString(), MAX_EXCEPTION_CHARS);
  }

  private static String clip(String s, int max) {
    if (s == null) {
      return "";
    }
    return s.length() <= max ? s
        : s.substring(0, max) + "... (" + (s.length() - max) + " more characters)";
  }

  private static void field(StringBuilder b, String name, String value) {
    b.append(",\"").append(name).append("\":");
    appendJsonString(b, value == null ? "" : value);
  }

  /** {@code s} as a JSON string: quotes, backslashes and control characters escaped. */
  static void appendJsonString(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029'
              || Character.isSurrogate(c) && !validSurrogatePair(s, i)) {
            appendUnicodeEscape(b, Character.isSurrogate(c) ? '\ufffd' : c);
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  private static boolean validSurrogatePair(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  private static void appendUnicodeEscape(StringBuilder b, char c) {
    String hex = Integer.toHexString(c);
    b.append("\\u");
    for (int i = hex.length(); i < 4; i++) {
      b.append('0');
    }
    b.append(hex);
  }

  /** {@code s} with control characters other than tab as {@code \xNN}: one line in text. */
  private static void appendText(StringBuilder b, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
      } else {
        b.append(c);
      }
    }
  }
}
