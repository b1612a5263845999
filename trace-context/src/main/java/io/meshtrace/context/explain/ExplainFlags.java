package io.meshtrace.context.explain;

import io.meshtrace.context.EdgeSampling;
import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.RepairPolicy;
import java.util.EnumSet;

/**
 * Parses the {@code explain} flags into a {@link RepairPolicy}. Accepts {@code --flag value}
 * and {@code --flag=value}; errors name the flag, the value and what was expected.
 */
final class ExplainFlags {
  static final String USAGE = String.join("\n",
      "usage: explain [flags] < headers.txt",
      "",
      "Reads request headers as 'Name: value' lines (curl -v output works: '> ' and '< '",
      "prefixes, the request line and blank lines are skipped) and prints what the gateway",
      "would do with them and why.",
      "",
      "flags:",
      "  --formats LIST          output formats, comma-separated: w3c, b3multi, b3single (default w3c,b3multi)",
      "  --winner FORMAT         format whose ids win when formats disagree (default b3multi)",
      "  --sampling POLICY       trust | defer | deny-forced (default trust)",
      "  --no-request-id         do not add a missing x-request-id",
      "  --tracestate-limit N    longest tracestate kept, at least 512 (default 512)",
      "  --no-start-trace        leave requests without trace context for Envoy to start",
      "  --new-trace-sampling PCT  percent (0-100, e.g. 0.5) of requests without a sampling",
      "                          decision that the gateway marks sampled when it writes W3C",
      "                          (default 100; set it to the mesh's random sampling percentage)",
      "  --help                  this text",
      "  --version               the version",
      "",
      "exit status: 0 explained, 1 standard input unreadable, 2 bad flag",
      "");

  /** The parsed policy, or null with {@link #error} set, or null with {@link #help} set. */
  RepairPolicy policy;
  String error;
  boolean help;
  boolean version;

  static ExplainFlags parse(String[] args) {
    ExplainFlags flags = new ExplainFlags();
    flags.parseInto(args);
    return flags;
  }

  private void parseInto(String[] args) {
    RepairPolicy result = RepairPolicy.defaults();
    int i = 0;
    if (args.length > 0 && args[0].equals("explain")) {
      i = 1;
    }
    for (; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--help":
        case "-h":
          help = true;
          return;
        case "--version":
        case "-V":
          version = true;
          return;
        case "--no-request-id":
          if (value != null) {
            error = name + "=" + value + ": takes no value";
            return;
          }
          result = result.withAddRequestId(false);
          continue;
        case "--no-start-trace":
          if (value != null) {
            error = name + "=" + value + ": takes no value";
            return;
          }
          result = result.withStartTraceWhenAbsent(false);
          continue;
        case "--formats":
        case "--winner":
        case "--sampling":
        case "--tracestate-limit":
        case "--new-trace-sampling":
          break;
        default:
          error = arg.startsWith("-")
              ? "unknown flag " + name + ": expected one of --formats, --winner, --sampling, "
                  + "--no-request-id, --tracestate-limit, --no-start-trace, --new-trace-sampling, --help"
              : "unexpected argument '" + arg + "': explain reads headers from standard input";
          return;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          error = name + ": missing value (" + expected(name) + ")";
          return;
        }
        value = args[++i];
      }
      RepairPolicy next = apply(result, name, value);
      if (next == null) {
        return;
      }
      result = next;
    }
    policy = result;
  }

  private RepairPolicy apply(RepairPolicy current, String name, String value) {
    switch (name) {
      case "--formats": {
        EnumSet<PropagationFormat> formats = EnumSet.noneOf(PropagationFormat.class);
        for (String part : value.split(",", -1)) {
          PropagationFormat format = PropagationFormat.fromConfigName(part.trim());
          if (format == null) {
            error = name + "=" + value + ": '" + part.trim() + "' is not a format; " + expected(name);
            return null;
          }
          formats.add(format);
        }
        return current.withOutputFormats(formats);
      }
      case "--winner": {
        PropagationFormat format = PropagationFormat.fromConfigName(value);
        if (format == null) {
          error = name + "=" + value + ": must be " + expected(name);
          return null;
        }
        return current.withWinner(format);
      }
      case "--sampling": {
        EdgeSampling sampling = EdgeSampling.fromConfigName(value);
        if (sampling == null) {
          error = name + "=" + value + ": must be " + expected(name);
          return null;
        }
        return current.withEdgeSampling(sampling);
      }
      case "--new-trace-sampling": {
        double percent = parsePercent(value);
        if (Double.isNaN(percent)) {
          error = name + "=" + value + ": must be " + expected(name);
          return null;
        }
        return current.withNewTraceSamplingPercent(percent);
      }
      default: {
        int limit;
        try {
          limit = Integer.parseInt(value);
        } catch (NumberFormatException e) {
          error = name + "=" + value + ": must be " + expected(name);
          return null;
        }
        if (limit < RepairPolicy.MIN_TRACESTATE_LIMIT) {
          error = name + "=" + value + ": must be " + expected(name);
          return null;
        }
        return current.withTracestateLimit(limit);
      }
    }
  }

  /** A plain decimal between 0 and 100 ({@code 25}, {@code 0.5}), or NaN. */
  private static double parsePercent(String value) {
    int dots = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c < '0' || c > '9') {
        return Double.NaN;
      }
    }
    if (value.isEmpty() || dots > 1 || value.charAt(0) == '.' || value.charAt(value.length() - 1) == '.') {
      return Double.NaN;
    }
    double percent = Double.parseDouble(value);
    return percent <= 100.0 ? percent : Double.NaN;
  }

  private static String expected(String flag) {
    switch (flag) {
      case "--new-trace-sampling":
        return "a number between 0 and 100";
      case "--formats":
        return "a comma-separated list of w3c, b3multi, b3single";
      case "--winner":
        return "one of w3c, b3multi, b3single";
      case "--sampling":
        return "one of trust, defer, deny-forced";
      default:
        return "an integer of at least " + RepairPolicy.MIN_TRACESTATE_LIMIT;
    }
  }
}
