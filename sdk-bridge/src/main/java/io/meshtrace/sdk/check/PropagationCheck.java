package io.meshtrace.sdk.check;

import io.meshtrace.check.TraceAnalysis;
import io.meshtrace.check.ZipkinSpan;
import io.meshtrace.check.ZipkinTraceSource;
import io.meshtrace.cli.BuildVersion;
import io.meshtrace.cli.Cli;
import io.meshtrace.cli.LogOptions;
import io.meshtrace.cli.ExitCode;
import io.meshtrace.sdk.MeshSettings;
import io.meshtrace.sdk.MeshZipkinExporterProvider;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The propagation check: reads recent traces from Zipkin and reports where the trace context
 * is lost, hop by hop.
 *
 * <pre>
 * java -jar external-proxy.jar check-propagation --zipkin http://127.0.0.1:9411 \
 *     --service productpage --lookback 15m [--limit 100]
 *
 * BREAK productpage -> reviews: spans from productpage arrive as new roots: productpage drops the trace headers
 *   reviews span 'GET /reviews/0' (trace 5af7..., id 1b2c...) began a new trace during
 *   productpage span 'GET /productpage' (trace 80f1..., id 4d5e...)
 * </pre>
 *
 * <p>Without {@code --zipkin} and {@code --service}, OpenTelemetry's own settings say where the
 * application sends its spans and what it is called, as the library and the agent extension
 * read them (system properties or {@code OTEL_*} variables): {@code otel.exporter.zipkin.endpoint}
 * ({@code http://zipkin:9411/api/v2/spans} is read from {@code http://zipkin:9411}),
 * {@code otel.service.name}, and {@code otel.exporter.zipkin.timeout} for each read. Flags win.
 *
 * <p>Exit status ({@link ExitCode}): 0 when every hop keeps the trace, 1 when breaks were
 * found or Zipkin cannot be read, 2 on bad arguments.
 */
@Command(name = PropagationCheck.COMMAND, mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class,
    description = {"Reads recent traces from Zipkin (API v2) and reports each hop that loses the "
        + "trace context: spans arriving as new roots, parents missing from their trace, one "
        + "x-request-id split over several traces.",
        "Exit 0 when every hop keeps the trace, 1 when breaks were found or Zipkin cannot be "
            + "read, 2 on bad arguments."})
public final class PropagationCheck implements Callable<Integer> {

  /** The sub-command name. */
  public static final String COMMAND = "check-propagation";

  /** Zipkin's span intake, what {@code otel.exporter.zipkin.endpoint} names. */
  private static final String SPANS_PATH = "/api/v2/spans";
  /** Each read from Zipkin, unless {@code otel.exporter.zipkin.timeout} says otherwise. */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final PrintStream out;
  private final PrintStream err;

  @Spec
  private CommandSpec spec;

  @Option(names = "--zipkin", paramLabel = "URL",
      description = "Zipkin's base URL, e.g. http://127.0.0.1:9411; default: from "
          + "otel.exporter.zipkin.endpoint (OTEL_EXPORTER_ZIPKIN_ENDPOINT).")
  String zipkin;

  @Option(names = "--service", paramLabel = "NAME",
      description = "Look at this service's traces first; default: otel.service.name "
          + "(OTEL_SERVICE_NAME) when set.")
  String service;

  @Option(names = "--lookback", paramLabel = "D", defaultValue = "15m",
      description = "How far back to read, e.g. 90s, 15m, 2h (default: ${DEFAULT-VALUE}).")
  String lookbackValue;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
      description = "Traces read per query, 1 to 10000 (default: ${DEFAULT-VALUE}).")
  String limitValue;

  /** Where {@code otel.*} settings come from. */
  private final ConfigProperties otel;

  /**
   * The command, printing to {@code out} and {@code err}, with OpenTelemetry's settings from
   * system properties and {@code OTEL_*} environment variables.
   */
  public PropagationCheck(PrintStream out, PrintStream err) {
    this(out, err, DefaultConfigProperties.create(
        Map.of(), ComponentLoader.forClassLoader(PropagationCheck.class.getClassLoader())));
  }

  /** The command with OpenTelemetry's settings read from {@code otel}. */
  public PropagationCheck(PrintStream out, PrintStream err, ConfigProperties otel) {
    this.out = out;
    this.err = err;
    this.otel = otel;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the check with command-line {@code args} (which may start with the command name);
   * returns the exit status.
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, new PropagationCheck(out, err), out, err);
  }

  /** {@link #run(String[], PrintStream, PrintStream)} of a given command (its settings). */
  public static int run(String[] args, PropagationCheck check, PrintStream out, PrintStream err) {
    String[] rest = args.length > 0 && COMMAND.equals(args[0])
        ? Arrays.copyOfRange(args, 1, args.length) : args;
    // Run alone it has the logging flags itself; under external-proxy it inherits them.
    CommandLine cl = new CommandLine(check);
    cl.getCommandSpec().addMixin("logs", CommandSpec.forAnnotatedObject(new LogOptions()));
    return Cli.run(cl, out, err, rest);
  }

  @Override
  public Integer call() {
    Duration lookback;
    int limit;
    URI zipkinUri;
    Duration timeout;
    String zipkin = this.zipkin;
    String service = this.service;
    try {
      if (zipkin == null) {
        zipkin = zipkinFromOtel();
      }
      zipkinUri = URI.create(zipkin);
      if (zipkinUri.getScheme() == null || zipkinUri.getHost() == null) {
        throw new IllegalArgumentException("--zipkin=" + zipkin + ": must be an http URL with a host");
      }
      if (service == null) {
        String name = otel.getString("otel.service.name");
        service = name == null || name.isBlank() ? null : name.trim();
      }
      timeout = MeshZipkinExporterProvider.timeout(otel, MeshZipkinExporterProvider.TIMEOUT,
          READ_TIMEOUT);
      lookback = MeshSettings.parseDuration("--lookback", lookbackValue);
      if (lookback.isZero()) {
        throw new IllegalArgumentException("--lookback=0: must be positive");
      }
      try {
        limit = Integer.parseInt(limitValue);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 10_000) {
        throw new IllegalArgumentException("--limit=" + limitValue + ": must be between 1 and 10000");
      }
    } catch (IllegalArgumentException | ConfigurationException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }

    ZipkinTraceSource source = new ZipkinTraceSource(zipkinUri, timeout);
    long now = System.currentTimeMillis();
    Map<String, List<ZipkinSpan>> traces = new LinkedHashMap<>();
    try {
      // The service's own traces, then every trace of the window: the pieces a break splits
      // off do not contain the service that broke it.
      if (service != null) {
        for (List<ZipkinSpan> trace : source.traces(service, lookback, now, limit)) {
          traces.put(trace.get(0).traceId(), trace);
        }
      }
      for (List<ZipkinSpan> trace : source.traces(null, lookback, now, limit)) {
        traces.putIfAbsent(trace.get(0).traceId(), trace);
      }
    } catch (IOException e) {
      err.println(COMMAND + ": cannot read traces from " + zipkin + ": " + e);
      return ExitCode.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println(COMMAND + ": interrupted while reading traces from " + zipkin);
      return ExitCode.FAILURE;
    }

    TraceAnalysis.Report report = TraceAnalysis.analyze(traces.values(), service);
    print(report, zipkin, service, lookbackValue, out);
    return report.clean() ? ExitCode.OK : ExitCode.FAILURE;
  }

  /**
   * Zipkin's base URL from {@code otel.exporter.zipkin.endpoint}, the span endpoint an
   * application exports to: {@code http://zipkin:9411/api/v2/spans} is read at
   * {@code http://zipkin:9411}.
   */
  private String zipkinFromOtel() {
    String key = MeshZipkinExporterProvider.ENDPOINT;
    String endpoint = otel.getString(key);
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException("--zipkin is required (or " + key + "): the Zipkin base"
          + " URL, e.g. http://127.0.0.1:9411");
    }
    URI uri = MeshZipkinExporterProvider.httpUrl(key, endpoint);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.endsWith(SPANS_PATH)) {
      path = path.substring(0, path.length() - SPANS_PATH.length());
    }
    return uri.getScheme() + "://" + uri.getRawAuthority() + path;
  }

  static void print(TraceAnalysis.Report report, String zipkin, String service, String lookback,
      PrintStream out) {
    out.println(COMMAND + ": " + report.traces() + " traces, " + report.spans() + " spans from "
        + zipkin + (service != null ? " (service " + service + ")" : "") + ", lookback " + lookback);
    Map<String, List<TraceAnalysis.Finding>> byHop = new LinkedHashMap<>();
    for (TraceAnalysis.Finding finding : report.findings()) {
      byHop.computeIfAbsent(finding.kind() + " " + finding.hop(), k -> new ArrayList<>()).add(finding);
    }
    for (List<TraceAnalysis.Finding> group : byHop.values()) {
      TraceAnalysis.Finding first = group.get(0);
      String caller = first.callerService();
      String times = group.size() == 1 ? "1 span" : group.size() + " spans";
      if (first.kind() == TraceAnalysis.Kind.NEW_ROOT) {
        out.println("BREAK " + first.hop() + ": spans from " + caller + " arrive as new roots: "
            + caller + " drops the trace headers (" + times + ")");
      } else {
        out.println("MISSING-PARENT " + first.hop() + ": spans of " + first.span().service()
            + " name a parent span that is not in their trace: " + caller
            + " forwards trace ids of a span it does not report (" + times + ")");
      }
      for (TraceAnalysis.Finding finding : group) {
        StringBuilder line = new StringBuilder("  ").append(finding.span().describe());
        if (finding.kind() == TraceAnalysis.Kind.MISSING_PARENT) {
          line.append(" has parent ").append(finding.span().parentId()).append(", missing from the trace");
        } else {
          line.append(" began a new trace");
        }
        if (finding.caller() != null) {
          line.append(" during ").append(finding.caller().describe());
        }
        out.println(line);
      }
    }
    for (TraceAnalysis.Split split : report.splits()) {
      out.println("SPLIT x-request-id " + split.requestId() + " is in " + split.traceIds().size()
          + " traces: " + String.join(", ", split.traceIds()));
    }
    if (report.clean()) {
      out.println("OK: no broken hops found");
    }
  }
}
