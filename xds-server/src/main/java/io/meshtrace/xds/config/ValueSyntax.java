package io.meshtrace.xds.config;

import io.meshtrace.context.config.ConfigDuration;
import io.meshtrace.context.config.HostName;
import java.time.Duration;

/**
 * The grammar of single config values: host names, DNS names and labels, durations, and text
 * safe to print in a problem line.
 */
final class ValueSyntax {

  private ValueSyntax() {}

  /** Whether {@code s} holds a control character other than tab (CR, LF, NUL, DEL, ...). */
  static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        return true;
      }
    }
    return false;
  }

  /** Host name or IPv4/IPv6 literal: {@link HostName}, the grammar of every module. */
  static boolean isHost(String s) {
    return HostName.isValid(s);
  }

  /** RFC 1123 DNS name: dot-separated {@link #isDnsLabel labels}, at most 253 characters. */
  static boolean isDnsName(String s) {
    if (s.isEmpty() || s.length() > 253 || s.startsWith(".") || s.endsWith(".")
        || s.contains("..")) {
      return false;
    }
    for (String label : s.split("\\.")) {
      if (!isDnsLabel(label)) {
        return false;
      }
    }
    return true;
  }

  /** RFC 1123 label: 1-63 lower-case letters, digits and '-', not starting or ending in '-'. */
  static boolean isDnsLabel(String s) {
    if (s.isEmpty() || s.length() > 63 || s.startsWith("-") || s.endsWith("-")) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * A Kubernetes label value, as the {@code topology.kubernetes.io/region} and {@code zone}
   * labels localities come from: 1-63 letters, digits, '-', '_', '.', starting and ending with
   * a letter or digit.
   */
  static boolean isLabelValue(String s) {
    if (s.isEmpty() || s.length() > 63) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      boolean edge = i == 0 || i == s.length() - 1;
      if (!alnum && (edge || !(c == '-' || c == '_' || c == '.'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Durations as every module reads them ({@link ConfigDuration}): {@code 250ms}, {@code 5s},
   * {@code 1.5s}, {@code 2m}, {@code 1h}; null when {@code s} is none.
   */
  static Duration parseDuration(String s) {
    return ConfigDuration.parse(s);
  }

  /** {@code s} with control characters written as {@code \xNN}. */
  static String escape(String s) {
    if (!hasControl(s) && s.indexOf('\t') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** {@code s} escaped and cut to at most {@code max} characters, marked with "...". */
  static String shorten(String s, int max) {
    String e = escape(s);
    return e.length() > max ? e.substring(0, max - 3) + "..." : e;
  }
}
