package io.meshtrace.sdk;

import io.meshtrace.context.PropagationFormat;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OpenTelemetry SDK set up so that an application's spans join the mesh's traces.
 *
 * <pre>{@code
 * MeshSettings settings = MeshSettings.of("productpage")
 *     .withNamespace("bookinfo")
 *     .withMeshVersion("1.18.0.124")          // -> B3 multi-header, as the sidecars propagate
 *     .withExporter(MeshSettings.Exporter.of(ExportProtocol.ZIPKIN_JSON,
 *         "http://zipkin.istio-system:9411/api/v2/spans"));
 * OpenTelemetrySdk sdk = MeshTelemetry.create(settings);
 * }</pre>
 *
 * <p>Or from OpenTelemetry's own settings ({@code otel.service.name},
 * {@code otel.traces.exporter}, {@code otel.exporter.otlp.*}, {@code otel.traces.sampler}, ...,
 * and the {@code OTEL_*} environment variables) plus the {@code meshtrace.*} keys for what
 * OpenTelemetry has no name for: {@link #fromProperties}, {@link #fromEnvironment}, or
 * OpenTelemetry's autoconfigure itself, {@link #autoConfigured}, where the {@code meshtrace}
 * propagator, resource and Zipkin exporter come in through the SPI.
 */
public final class MeshTelemetry {

  /** The name under which the propagator and the Zipkin exporter register with autoconfigure. */
  public static final String SPI_NAME = MeshOptions.SPI_NAME;

  private MeshTelemetry() {}

  /**
   * An SDK with the configured propagators, a batch span processor to the configured exporter,
   * the sampler and the mesh resource. The caller owns it: {@code close()} it on shutdown to
   * flush spans.
   */
  public static OpenTelemetrySdk create(MeshSettings settings) {
    SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
        .setResource(settings.resource())
        .setSampler(settings.sampling().toSampler())
        .addSpanProcessor(BatchSpanProcessor.builder(ExporterFactory.create(settings.exporter()))
            .setScheduleDelay(settings.exporter().batchDelay())
            .setExporterTimeout(settings.exporter().timeout())
            .build())
        .build();
    return OpenTelemetrySdk.builder()
        .setTracerProvider(tracerProvider)
        .setPropagators(ContextPropagators.create(propagators(settings)))
        .build();
  }

  /** {@link #create} from OpenTelemetry's and the {@code meshtrace.*} keys in {@code properties} alone. */
  public static OpenTelemetrySdk fromProperties(Map<String, String> properties) {
    return create(MeshSettings.fromProperties(properties));
  }

  /**
   * {@link #create} from system properties, then the environment ({@code OTEL_SERVICE_NAME},
   * {@code MESHTRACE_MESH_VERSION}, ...), then {@code defaults}: the same precedence as
   * OpenTelemetry's autoconfigure.
   */
  public static OpenTelemetrySdk fromEnvironment(Map<String, String> defaults) {
    return create(MeshSettings.fromEnvironment(defaults));
  }

  /**
   * An SDK built by OpenTelemetry's autoconfigure, every {@code otel.*} setting with its own
   * meaning, with {@code properties} as defaults under system properties and environment
   * variables. The SPI makes {@code meshtrace,baggage} the default propagators; metrics and
   * logs exporters default to {@code none}. Not set as global.
   */
  public static OpenTelemetrySdk autoConfigured(Map<String, String> properties) {
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.metrics.exporter", "none");
    defaults.put("otel.logs.exporter", "none");
    defaults.putAll(properties);
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults)
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
  }

  /**
   * The mesh propagator: injects {@code formats} (and {@code x-request-id} when the context
   * carries one), extracts W3C, B3 multi and B3 single alike after trace-context's repair.
   * A context without a sampling decision is taken as sampled.
   */
  public static TextMapPropagator propagator(Set<PropagationFormat> formats) {
    return new MeshPropagator(formats, 100);
  }

  /**
   * The propagator for a mesh's {@code meshtrace.propagation} setting ({@code tracecontext},
   * {@code b3} (single header), {@code b3multi}, a list) or, when that is null, its
   * {@code meshtrace.mesh.version} ({@code 1.18.0.124} and older: B3 multi; newer: W3C).
   */
  public static TextMapPropagator propagator(String propagation, String meshVersion) {
    Map<String, String> keys = new HashMap<>();
    if (propagation != null) {
      keys.put(MeshOptions.PROPAGATION, propagation);
    }
    if (meshVersion != null) {
      keys.put(MeshOptions.MESH_VERSION, meshVersion);
    }
    return propagator(MeshOptions.read(DefaultConfigProperties.createFromMap(keys)).propagation());
  }

  /** The propagators of {@code settings}, composed in their order. */
  static TextMapPropagator propagators(MeshSettings settings) {
    List<TextMapPropagator> propagators = new ArrayList<>();
    for (String name : settings.propagators()) {
      switch (name) {
        case MeshOptions.SPI_NAME:
          propagators.add(new MeshPropagator(settings.propagation(), settings.sampling().ratio() * 100));
          break;
        case "tracecontext":
          propagators.add(W3CTraceContextPropagator.getInstance());
          break;
        case "baggage":
          propagators.add(W3CBaggagePropagator.getInstance());
          break;
        case "b3":
          propagators.add(B3Propagator.injectingSingleHeader());
          break;
        case "b3multi":
          propagators.add(B3Propagator.injectingMultiHeaders());
          break;
        default:
          throw new IllegalArgumentException("unknown propagator " + name);
      }
    }
    return TextMapPropagator.composite(propagators);
  }

  /** The {@code x-request-id} the mesh propagator extracted into {@code context}, or null. */
  public static String requestId(Context context) {
    return context.get(MeshPropagator.REQUEST_ID_KEY);
  }

  /** Whether {@code value} can travel as {@code x-request-id}: 1 to 256 printable ASCII chars, no spaces. */
  public static boolean isValidRequestId(String value) {
    return MeshPropagator.isRequestId(value);
  }

  /** {@code context} carrying {@code requestId}, injected as {@code x-request-id}. */
  public static Context withRequestId(Context context, String requestId) {
    if (!MeshPropagator.isRequestId(requestId)) {
      throw new IllegalArgumentException(
          "x-request-id=" + requestId + ": must be 1 to 256 printable ASCII chars without spaces");
    }
    return context.with(MeshPropagator.REQUEST_ID_KEY, requestId);
  }

  /**
   * Reads request headers from a {@code Map<String, List<String>>} (the JDK HTTP server's
   * {@code Headers}, {@code HttpHeaders.map()}) whatever the case of its keys:
   * OpenTelemetry's B3 propagator asks for {@code X-B3-TraceId}, HTTP/2 delivers
   * {@code x-b3-traceid}.
   */
  public static TextMapGetter<Map<String, List<String>>> headerGetter() {
    return HeaderMapGetter.INSTANCE;
  }

  private enum HeaderMapGetter implements TextMapGetter<Map<String, List<String>>> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Map<String, List<String>> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, List<String>> carrier, String key) {
      if (carrier == null || key == null) {
        return null;
      }
      List<String> values = carrier.get(key);
      if (values == null) {
        for (Map.Entry<String, List<String>> entry : carrier.entrySet()) {
          if (entry.getKey() != null && entry.getKey().equalsIgnoreCase(key)) {
            values = entry.getValue();
            break;
          }
        }
      }
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }
}
