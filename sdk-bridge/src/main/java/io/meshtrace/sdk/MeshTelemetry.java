package io.meshtrace.sdk;

import io.meshtrace.context.MeshPropagation;
import io.meshtrace.context.PropagationFormat;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
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
 * <p>Or through OpenTelemetry's autoconfigure ({@code otel.*} properties, environment, the
 * Java instrumentation): {@code otel.propagators=meshtrace} selects the mesh propagator and
 * {@code otel.traces.exporter=meshtrace} the exporter described by {@code meshtrace.*}
 * (see {@link MeshSettings}); {@link #autoConfigured(Map)} does that with defaults.
 */
public final class MeshTelemetry {

  /** The name under which the propagator and exporter register with autoconfigure. */
  public static final String SPI_NAME = "meshtrace";

  static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  static final AttributeKey<String> SERVICE_NAMESPACE = AttributeKey.stringKey("service.namespace");
  static final AttributeKey<String> K8S_NAMESPACE = AttributeKey.stringKey("k8s.namespace.name");

  private MeshTelemetry() {}

  /**
   * An SDK with the mesh's propagators, a batch span processor to the configured exporter, a
   * parent-based ratio sampler and the mesh resource. The caller owns it: {@code close()} it
   * on shutdown to flush spans.
   */
  public static OpenTelemetrySdk create(MeshSettings settings) {
    SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(resource(settings)))
        .setSampler(sampler(settings.samplingPercent()))
        .addSpanProcessor(BatchSpanProcessor.builder(ExporterFactory.create(settings.exporter()))
            .setScheduleDelay(settings.exporter().batchDelay())
            .setExporterTimeout(settings.exporter().timeout())
            .build())
        .build();
    return OpenTelemetrySdk.builder()
        .setTracerProvider(tracerProvider)
        .setPropagators(ContextPropagators.create(propagator(settings.propagation())))
        .build();
  }

  /** {@link #create} from {@code meshtrace.*} properties (see {@link MeshSettings}). */
  public static OpenTelemetrySdk fromProperties(Map<String, String> properties) {
    return create(MeshSettings.fromProperties(properties::get));
  }

  /**
   * An SDK built by OpenTelemetry's autoconfigure, with these defaults under the given
   * properties (system properties and {@code OTEL_*} environment variables still win):
   * {@code otel.propagators=meshtrace}, {@code otel.traces.exporter=meshtrace},
   * {@code otel.metrics.exporter=none}, {@code otel.logs.exporter=none}. Not set as global.
   */
  public static OpenTelemetrySdk autoConfigured(Map<String, String> properties) {
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.propagators", SPI_NAME);
    defaults.put("otel.traces.exporter", SPI_NAME);
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
   * carries one), extracts W3C, B3 multi and B3 single alike.
   */
  public static TextMapPropagator propagator(Set<PropagationFormat> formats) {
    return new MeshPropagator(formats);
  }

  /**
   * The propagator for a mesh's propagation setting ({@code b3}, {@code w3c}, ...) or, when
   * that is null, its version ({@code 1.18.0.124} and older: B3; newer: W3C).
   */
  public static TextMapPropagator propagator(String propagation, String meshVersion) {
    if (propagation != null && !propagation.isBlank()) {
      return new MeshPropagator(MeshSettingsParser.propagation(MeshSettings.PROPAGATION, propagation));
    }
    if (meshVersion != null && !meshVersion.isBlank()) {
      return new MeshPropagator(MeshPropagation.formatsFor(MeshSettings.MESH_VERSION, meshVersion));
    }
    return new MeshPropagator(MeshSettings.DEFAULT_PROPAGATION);
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

  /** Parent-based: a parent's decision wins; new roots are sampled at {@code percent}. */
  static Sampler sampler(double percent) {
    return Sampler.parentBased(Sampler.traceIdRatioBased(percent / 100.0));
  }

  /**
   * {@code service.name} (qualified as {@code name.namespace} when asked, which is how Istio
   * sidecars name a workload in Zipkin), {@code service.namespace} and
   * {@code k8s.namespace.name}.
   */
  static Resource resource(MeshSettings settings) {
    AttributesBuilder attributes = Attributes.builder()
        .put(SERVICE_NAME, settings.reportedServiceName());
    if (settings.serviceNamespace() != null) {
      attributes.put(SERVICE_NAMESPACE, settings.serviceNamespace());
      attributes.put(K8S_NAMESPACE, settings.serviceNamespace());
    }
    return Resource.create(attributes.build());
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
