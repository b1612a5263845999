package io.meshtrace.context.config;

import java.time.Duration;

/**
 * The one duration grammar of meshtrace's configuration (xds-server YAML, ext-proc keys and
 * flags, sdk-bridge tools), Istio's and Go's: a non-negative decimal number and a unit,
 * {@code us}, {@code ms}, {@code s}, {@code m} or {@code h}, no space between.
 *
 * <pre>
 * 250ms  5s  1.5s  2m  1h  0s     valid
 * 500    -1s  +1s  1 s  1d  5sec  .5s  1e3s   not durations
 * </pre>
 * A bare number is refused: {@code 500} could mean milliseconds or seconds. (OpenTelemetry's
 * own {@code otel.*} durations keep OpenTelemetry's meaning and are read by its
 * {@code ConfigProperties}.)
 */
public final class ConfigDuration {

  /** What a problem line says was expected, after {@code key=value: }. */
  public static final String EXPECTED =
      "must be a duration: a number and a unit (us, ms, s, m, h), e.g. 500ms, 10s, 1.5m, 1h";

  /** The longest duration read; longer values are refused rather than wrapped. */
  private static final double MAX_NANOS = 9.2e18;

  private ConfigDuration() {}

  /** The duration {@code text} writes (surrounding spaces ignored), or null when it is none. */
  public static Duration parse(String text) {
    if (text == null) {
      return null;
    }
    String t = text.trim();
    int end = t.length();
    while (end > 0 && Character.isLetter(t.charAt(end - 1))) {
      end--;
    }
    long nanosPerUnit = switch (t.substring(end)) {
      case "us" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> -1;
    };
    if (nanosPerUnit < 0 || !isDecimal(t, end)) {
      return null;
    }
    double nanos = Double.parseDouble(t.substring(0, end)) * nanosPerUnit;
    if (nanos > MAX_NANOS) {
      return null;
    }
    return Duration.ofNanos(Math.round(nanos));
  }

  /** Digits, optionally one dot followed by digits: {@code 1}, {@code 1.5}, not {@code .5}. */
  private static boolean isDecimal(String s, int end) {
    int digits = 0;
    boolean dot = false;
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c == '.' && !dot && digits > 0 && i + 1 < end) {
        dot = true;
      } else {
        return false;
      }
    }
    return digits > 0;
  }
}
