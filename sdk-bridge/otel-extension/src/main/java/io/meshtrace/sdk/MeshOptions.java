package io.meshtrace.sdk;

import io.meshtrace.context.HttpToken;
import io.meshtrace.context.MeshPropagation;
import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.config.HeaderValue;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The settings OpenTelemetry has no name for, read from {@code meshtrace.*} keys (system
 * properties, or {@code MESHTRACE_*} environment variables, through OpenTelemetry's
 * {@link ConfigProperties}). Everything else is read from OpenTelemetry's own keys.
 *
 * <pre>
 * meshtrace.propagation=tracecontext,b3multi    # what the meshtrace propagator injects
 * meshtrace.mesh.version=1.18.0.124             # used when meshtrace.propagation is not set
 * meshtrace.service.namespace=bookinfo          # service.namespace, k8s.namespace.name
 * meshtrace.service.qualify=true                # service.name reported as name.namespace
 * meshtrace.exporter.zipkin.encoding=json-v1    # with otel.traces.exporter=meshtrace
 * meshtrace.exporter.zipkin.headers=authorization=Bearer%20abc
 * </pre>
 *
 * @param propagation the formats the {@code meshtrace} propagator injects (extraction accepts
 *     every format)
 * @param namespace {@code meshtrace.service.namespace}, or null
 * @param qualifyServiceName report {@code service.name} as {@code name.namespace} when
 *     {@code namespace} is set, the way Istio's sidecars name a workload in Zipkin
 * @param zipkinEncoding {@code meshtrace.exporter.zipkin.encoding}, or null when not set
 * @param zipkinHeaders {@code meshtrace.exporter.zipkin.headers}, percent-decoded
 */
public record MeshOptions(
    Set<PropagationFormat> propagation,
    String namespace,
    boolean qualifyServiceName,
    ZipkinEncoding zipkinEncoding,
    Map<String, String> zipkinHeaders) {

  public static final String PROPAGATION = "meshtrace.propagation";
  public static final String MESH_VERSION = "meshtrace.mesh.version";
  public static final String SERVICE_NAMESPACE = "meshtrace.service.namespace";
  public static final String SERVICE_QUALIFY = "meshtrace.service.qualify";
  public static final String ZIPKIN_ENCODING = "meshtrace.exporter.zipkin.encoding";
  public static final String ZIPKIN_HEADERS = "meshtrace.exporter.zipkin.headers";

  /** The name the propagator and the Zipkin exporter register under with autoconfigure. */
  public static final String SPI_NAME = "meshtrace";

  /** Injected when neither {@link #PROPAGATION} nor {@link #MESH_VERSION} is set. */
  public static final Set<PropagationFormat> DEFAULT_PROPAGATION =
      Collections.unmodifiableSet(EnumSet.of(PropagationFormat.W3C, PropagationFormat.B3_MULTI));

  /**
   * Keys earlier releases read, each with what replaces it. A removed key that is still set
   * is an error rather than silently ignored.
   */
  static final Map<String, String> REMOVED_KEYS = removedKeys();

  public MeshOptions {
    if (propagation == null || propagation.isEmpty()) {
      throw new ConfigurationException(
          PROPAGATION + "=: must name at least one of tracecontext, b3, b3multi");
    }
    propagation = Collections.unmodifiableSet(EnumSet.copyOf(propagation));
    zipkinHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(zipkinHeaders));
  }

  /**
   * Reads the {@code meshtrace.*} keys.
   *
   * @throws ConfigurationException naming the key, the value and what was expected; for a
   *     removed key, what replaces it
   */
  public static MeshOptions read(ConfigProperties config) {
    for (Map.Entry<String, String> removed : REMOVED_KEYS.entrySet()) {
      if (config.getString(removed.getKey()) != null) {
        throw new ConfigurationException(removed.getKey() + " is no longer read: " + removed.getValue());
      }
    }
    Set<PropagationFormat> propagation;
    String propagationValue = config.getString(PROPAGATION);
    String version = config.getString(MESH_VERSION);
    if (propagationValue != null && !propagationValue.isBlank()) {
      // meshtrace.propagation says what to inject; the version only guesses it.
      propagation = propagation(PROPAGATION, propagationValue, config.getList(PROPAGATION));
    } else if (version != null && !version.isBlank()) {
      if (!MeshPropagation.isVersion(version)) {
        throw new ConfigurationException(MESH_VERSION + "=" + version
            + ": must be a dotted numeric version such as " + MeshPropagation.LAST_B3_VERSION);
      }
      propagation = MeshPropagation.formatsFor(MESH_VERSION, version);
    } else {
      propagation = DEFAULT_PROPAGATION;
    }

    String namespace = config.getString(SERVICE_NAMESPACE);
    if (namespace != null) {
      namespace = namespace.trim();
      if (namespace.isEmpty()) {
        namespace = null;
      } else if (!isPrintableWord(namespace)) {
        throw new ConfigurationException(
            SERVICE_NAMESPACE + "=" + namespace + ": must be printable ASCII without spaces");
      }
    }
    boolean qualify = strictBoolean(config, SERVICE_QUALIFY, true);

    ZipkinEncoding encoding = null;
    String encodingValue = config.getString(ZIPKIN_ENCODING);
    if (encodingValue != null && !encodingValue.isBlank()) {
      encoding = ZipkinEncoding.fromConfigName(encodingValue.trim().toLowerCase(Locale.ROOT));
      if (encoding == null) {
        throw new ConfigurationException(ZIPKIN_ENCODING + "=" + encodingValue
            + ": must be one of json-v2, proto3, json-v1");
      }
    }
    Map<String, String> headers = headers(config, ZIPKIN_HEADERS);
    if ((encoding != null || !headers.isEmpty())
        && !config.getList("otel.traces.exporter").contains(SPI_NAME)) {
      throw new ConfigurationException((encoding != null ? ZIPKIN_ENCODING : ZIPKIN_HEADERS)
          + " is set but otel.traces.exporter=" + String.join(",", config.getList("otel.traces.exporter"))
          + ": set otel.traces.exporter=meshtrace, the Zipkin exporter that reads it"
          + " (OpenTelemetry's zipkin exporter sends JSON v2 without headers)");
    }
    return new MeshOptions(propagation, namespace, qualify, encoding, headers);
  }

  /**
   * {@code tracecontext} (or {@code w3c}), {@code b3} (B3 single header, as in
   * {@code otel.propagators}; also {@code b3single}) and {@code b3multi}.
   */
  static Set<PropagationFormat> propagation(String key, String raw, List<String> items) {
    Set<PropagationFormat> formats = EnumSet.noneOf(PropagationFormat.class);
    for (String item : items) {
      PropagationFormat format = propagationFormat(item.toLowerCase(Locale.ROOT));
      if (format == null) {
        throw new ConfigurationException(key + "=" + raw
            + ": must be a comma-separated list of tracecontext, b3, b3multi");
      }
      formats.add(format);
    }
    if (formats.isEmpty()) {
      throw new ConfigurationException(key + "=" + raw + ": must name at least one of tracecontext, b3, b3multi");
    }
    return formats;
  }

  private static PropagationFormat propagationFormat(String name) {
    switch (name) {
      case "tracecontext":
      case "w3c":
        return PropagationFormat.W3C;
      case "b3":
      case "b3single":
        return PropagationFormat.B3_SINGLE;
      case "b3multi":
        return PropagationFormat.B3_MULTI;
      default:
        return null;
    }
  }

  /**
   * A {@code name=value,...} header list as OpenTelemetry reads {@code otel.exporter.otlp.headers}:
   * values percent-decoded (W3C Baggage octets), names lower-cased. Values are never put in an
   * error message: they usually hold a token.
   */
  public static Map<String, String> headers(ConfigProperties config, String key) {
    Map<String, String> raw;
    try {
      raw = config.getMap(key);
    } catch (ConfigurationException e) {
      throw new ConfigurationException(key + ": must be a comma-separated list of name=value"
          + " (the value is not shown: it may hold a secret)");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : raw.entrySet()) {
      String name = entry.getKey().trim().toLowerCase(Locale.ROOT);
      String value;
      try {
        value = URLDecoder.decode(entry.getValue(), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException(key + "=" + name + "=...: the value is not valid percent-encoding");
      }
      if (!HttpToken.isToken(name) || !isHeaderValue(value)) {
        throw new ConfigurationException(key + "=" + name
            + "=...: header names must be HTTP tokens and values printable ASCII");
      }
      headers.put(name, value);
    }
    return headers;
  }

  /**
   * The percent of trace contexts without a sampling decision (B3 may defer it, W3C cannot)
   * that are taken as sampled: the rate the configured sampler
   * ({@code otel.traces.sampler} + {@code .arg}) samples new traces at.
   */
  static double deferredSamplingPercent(ConfigProperties config) {
    String sampler = config.getString("otel.traces.sampler", "parentbased_always_on").trim();
    switch (sampler) {
      case "always_off":
      case "parentbased_always_off":
        return 0;
      case "traceidratio":
      case "parentbased_traceidratio":
        Double ratio = config.getDouble("otel.traces.sampler.arg");
        if (ratio == null) {
          return 100;
        }
        if (!(ratio >= 0 && ratio <= 1)) {
          throw new ConfigurationException("otel.traces.sampler.arg=" + config.getString("otel.traces.sampler.arg")
              + ": must be a ratio between 0.0 and 1.0 (0.25 samples a quarter of new traces)");
        }
        return ratio * 100;
      default:
        return 100;
    }
  }

  /** Printable ASCII without spaces, as a name or namespace must be. */
  static boolean isPrintableWord(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** The one header value check ({@link HeaderValue}). */
  static boolean isHeaderValue(String s) {
    return HeaderValue.isSafe(s);
  }

  /** OpenTelemetry's {@code getBoolean} reads anything but "true" as false; a typo here should not. */
  private static boolean strictBoolean(ConfigProperties config, String key, boolean fallback) {
    String value = config.getString(key);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    if (!"true".equalsIgnoreCase(value.trim()) && !"false".equalsIgnoreCase(value.trim())) {
      throw new ConfigurationException(key + "=" + value + ": must be true or false");
    }
    return config.getBoolean(key, fallback);
  }

  private static Map<String, String> removedKeys() {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("meshtrace.service.name", "use otel.service.name");
    keys.put("meshtrace.exporter", "use otel.traces.exporter (otlp, zipkin, meshtrace, none)"
        + " with otel.exporter.otlp.protocol (grpc, http/protobuf) or " + ZIPKIN_ENCODING);
    keys.put("meshtrace.exporter.endpoint",
        "use otel.exporter.otlp.traces.endpoint, otel.exporter.otlp.endpoint or otel.exporter.zipkin.endpoint");
    keys.put("meshtrace.exporter.headers", "use otel.exporter.otlp.headers or " + ZIPKIN_HEADERS);
    keys.put("meshtrace.exporter.timeout", "use otel.exporter.otlp.timeout or otel.exporter.zipkin.timeout");
    keys.put("meshtrace.exporter.delay", "use otel.bsp.schedule.delay");
    keys.put("meshtrace.sampling", "use otel.traces.sampler=parentbased_traceidratio with"
        + " otel.traces.sampler.arg as a ratio (0.25 samples a quarter of new traces)");
    return Collections.unmodifiableMap(keys);
  }
}
