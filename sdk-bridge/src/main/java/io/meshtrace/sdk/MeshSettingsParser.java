package io.meshtrace.sdk;

import io.meshtrace.context.PropagationFormat;
import io.meshtrace.context.config.ConfigDuration;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one reader of OpenTelemetry's settings (with OpenTelemetry's meanings and defaults) and
 * the {@code meshtrace.*} keys into {@link MeshSettings}, through {@link ConfigProperties}'
 * typed getters.
 */
final class MeshSettingsParser {

  static final String SERVICE_NAME = "otel.service.name";
  static final String RESOURCE_ATTRIBUTES = "otel.resource.attributes";
  static final String PROPAGATORS = "otel.propagators";
  static final String TRACES_EXPORTER = "otel.traces.exporter";
  static final String OTLP = "otel.exporter.otlp.";
  static final String OTLP_TRACES = "otel.exporter.otlp.traces.";
  static final String SAMPLER = "otel.traces.sampler";
  static final String SAMPLER_ARG = "otel.traces.sampler.arg";
  static final String BSP_DELAY = "otel.bsp.schedule.delay";

  private static final String PROTOCOL_GRPC = "grpc";
  private static final String PROTOCOL_HTTP = "http/protobuf";

  private MeshSettingsParser() {}

  static MeshSettings parse(ConfigProperties config) {
    MeshOptions options = MeshOptions.read(config);

    Map<String, String> attributes = resourceAttributes(config);
    String name = config.getString(SERVICE_NAME);
    String nameKey = SERVICE_NAME;
    if (name == null || name.isBlank()) {
      // OpenTelemetry also takes the name from otel.resource.attributes; otel.service.name wins.
      name = attributes.get(MeshResource.SERVICE_NAME.getKey());
      nameKey = RESOURCE_ATTRIBUTES + " service.name";
    }
    attributes.remove(MeshResource.SERVICE_NAME.getKey());
    if (name == null || name.isBlank()) {
      throw new ConfigurationException(SERVICE_NAME + " is not set: must name the application (e.g. productpage)");
    }
    name = name.trim();
    if (!MeshOptions.isPrintableWord(name)) {
      throw new ConfigurationException(nameKey + "=" + name + ": must be printable ASCII without spaces");
    }

    List<String> propagators = propagators(config);
    MeshSettings.Exporter exporter = exporter(config, options);
    return new MeshSettings(name, options.namespace(), options.qualifyServiceName(), attributes,
        propagators, options.propagation(), exporter, sampling(config));
  }

  /** {@code otel.resource.attributes}: {@code key=value,...}, values percent-decoded as OpenTelemetry does. */
  private static Map<String, String> resourceAttributes(ConfigProperties config) {
    Map<String, String> raw;
    try {
      raw = config.getMap(RESOURCE_ATTRIBUTES);
    } catch (ConfigurationException e) {
      throw new ConfigurationException(RESOURCE_ATTRIBUTES + "=" + config.getString(RESOURCE_ATTRIBUTES)
          + ": must be a comma-separated list of key=value");
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : raw.entrySet()) {
      try {
        attributes.put(entry.getKey(), URLDecoder.decode(entry.getValue(), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException(RESOURCE_ATTRIBUTES + "=" + entry.getKey() + "=" + entry.getValue()
            + ": the value is not valid percent-encoding");
      }
    }
    return attributes;
  }

  private static List<String> propagators(ConfigProperties config) {
    List<String> names = config.getList(PROPAGATORS);
    if (names.isEmpty()) {
      return MeshSettings.DEFAULT_PROPAGATORS;
    }
    if (names.contains("none")) {
      if (names.size() > 1) {
        throw new ConfigurationException(PROPAGATORS + "=" + config.getString(PROPAGATORS)
            + ": none cannot be combined with other propagators");
      }
      return List.of();
    }
    for (String name : names) {
      if (!MeshSettings.PROPAGATOR_NAMES.contains(name)) {
        throw new ConfigurationException(PROPAGATORS + "=" + config.getString(PROPAGATORS) + ": " + name
            + " is not one of meshtrace, tracecontext, baggage, b3, b3multi, none"
            + " (MeshTelemetry.autoConfigured loads any installed propagator)");
      }
    }
    return names;
  }

  private static MeshSettings.Exporter exporter(ConfigProperties config, MeshOptions options) {
    List<String> names = config.getList(TRACES_EXPORTER);
    String name = names.isEmpty() ? "otlp" : names.get(0);
    if (names.size() > 1) {
      throw new ConfigurationException(TRACES_EXPORTER + "=" + config.getString(TRACES_EXPORTER)
          + ": MeshTelemetry.create sends to one exporter (MeshTelemetry.autoConfigured takes several)");
    }
    Duration delay = config.getDuration(BSP_DELAY, MeshSettings.Exporter.DEFAULT_BATCH_DELAY);
    if (delay.isNegative()) {
      throw new ConfigurationException(BSP_DELAY + "=" + config.getString(BSP_DELAY) + ": must not be negative");
    }
    switch (name) {
      case "otlp":
        return otlp(config).withBatchDelay(delay);
      case "zipkin":
        return zipkin(config, ZipkinEncoding.JSON_V2, Map.of()).withBatchDelay(delay);
      case MeshOptions.SPI_NAME:
        ZipkinEncoding encoding = options.zipkinEncoding() != null ? options.zipkinEncoding() : ZipkinEncoding.JSON_V2;
        return zipkin(config, encoding, options.zipkinHeaders()).withBatchDelay(delay);
      case "none":
        return MeshSettings.Exporter.defaults(ExportProtocol.NONE).withBatchDelay(delay);
      default:
        throw new ConfigurationException(TRACES_EXPORTER + "=" + name
            + ": must be one of otlp, zipkin, meshtrace, none");
    }
  }

  /**
   * OTLP as OpenTelemetry configures it: {@code .traces.*} keys over the general ones; a
   * general endpoint gets {@code /v1/traces} appended for HTTP, a traces endpoint is used as is.
   */
  private static MeshSettings.Exporter otlp(ConfigProperties config) {
    String protocolKey = config.getString(OTLP_TRACES + "protocol") != null ? OTLP_TRACES + "protocol" : OTLP + "protocol";
    String protocolName = config.getString(protocolKey, PROTOCOL_GRPC).trim();
    ExportProtocol protocol;
    if (PROTOCOL_GRPC.equals(protocolName)) {
      protocol = ExportProtocol.OTLP_GRPC;
    } else if (PROTOCOL_HTTP.equals(protocolName)) {
      protocol = ExportProtocol.OTLP_HTTP;
    } else {
      throw new ConfigurationException(protocolKey + "=" + protocolName + ": must be grpc or http/protobuf");
    }

    URI endpoint;
    String tracesEndpoint = config.getString(OTLP_TRACES + "endpoint");
    String baseEndpoint = config.getString(OTLP + "endpoint");
    if (tracesEndpoint != null && !tracesEndpoint.isBlank()) {
      endpoint = MeshZipkinExporterProvider.httpUrl(OTLP_TRACES + "endpoint", tracesEndpoint);
    } else if (baseEndpoint != null && !baseEndpoint.isBlank()) {
      endpoint = MeshZipkinExporterProvider.httpUrl(OTLP + "endpoint", baseEndpoint);
      if (protocol == ExportProtocol.OTLP_HTTP) {
        String path = endpoint.getRawPath() == null ? "" : endpoint.getRawPath();
        endpoint = endpoint.resolve((path.endsWith("/") ? path : path + "/") + "v1/traces");
      }
    } else {
      endpoint = URI.create(protocol.defaultEndpoint());
    }

    Map<String, String> headers = MeshOptions.headers(config, OTLP_TRACES + "headers");
    if (headers.isEmpty()) {
      headers = MeshOptions.headers(config, OTLP + "headers");
    }
    String timeoutKey = config.getString(OTLP_TRACES + "timeout") != null ? OTLP_TRACES + "timeout" : OTLP + "timeout";
    Duration timeout = MeshZipkinExporterProvider.timeout(config, timeoutKey, MeshSettings.Exporter.DEFAULT_TIMEOUT);
    return MeshSettings.Exporter.defaults(protocol).withEndpoint(endpoint).withHeaders(headers).withTimeout(timeout);
  }

  private static MeshSettings.Exporter zipkin(ConfigProperties config, ZipkinEncoding encoding, Map<String, String> headers) {
    ExportProtocol protocol = ExportProtocol.forZipkin(encoding);
    String endpoint = config.getString(MeshZipkinExporterProvider.ENDPOINT);
    MeshSettings.Exporter exporter = MeshSettings.Exporter.defaults(protocol);
    if (endpoint != null && !endpoint.isBlank()) {
      exporter = exporter.withEndpoint(MeshZipkinExporterProvider.httpUrl(MeshZipkinExporterProvider.ENDPOINT, endpoint));
    }
    Duration timeout = MeshZipkinExporterProvider.timeout(
        config, MeshZipkinExporterProvider.TIMEOUT, MeshZipkinExporterProvider.DEFAULT_TIMEOUT);
    return exporter.withHeaders(headers).withTimeout(timeout);
  }

  /** {@code otel.traces.sampler} and its {@code .arg}, with OpenTelemetry's names and default. */
  private static MeshSettings.Sampling sampling(ConfigProperties config) {
    String sampler = config.getString(SAMPLER, "parentbased_always_on").trim();
    switch (sampler) {
      case "always_on":
        return new MeshSettings.Sampling(false, 1.0);
      case "always_off":
        return new MeshSettings.Sampling(false, 0.0);
      case "traceidratio":
        return new MeshSettings.Sampling(false, ratio(config));
      case "parentbased_always_on":
        return new MeshSettings.Sampling(true, 1.0);
      case "parentbased_always_off":
        return new MeshSettings.Sampling(true, 0.0);
      case "parentbased_traceidratio":
        return new MeshSettings.Sampling(true, ratio(config));
      default:
        throw new ConfigurationException(SAMPLER + "=" + sampler + ": must be one of always_on, always_off,"
            + " traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio");
    }
  }

  private static double ratio(ConfigProperties config) {
    Double ratio = config.getDouble(SAMPLER_ARG);
    if (ratio == null) {
      return 1.0;
    }
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new ConfigurationException(SAMPLER_ARG + "=" + config.getString(SAMPLER_ARG)
          + ": must be a ratio between 0.0 and 1.0 (0.25 samples a quarter of new traces)");
    }
    return ratio;
  }

  /** For {@link MeshSettings#withPropagation}: {@code tracecontext}, {@code b3}, {@code b3multi}, ... */
  static Set<PropagationFormat> propagation(String key, String value) {
    return MeshOptions.propagation(key, value, List.of(value.split(",", -1)).stream()
        .map(String::trim).filter(s -> !s.isEmpty()).toList());
  }

  /** A meshtrace duration ({@link ConfigDuration}): {@code 500ms}, {@code 15m}, {@code 2h}. */
  static Duration duration(String key, String value) {
    Duration d = ConfigDuration.parse(value);
    if (d == null) {
      throw badDuration(key, value);
    }
    return d;
  }

  private static IllegalArgumentException badDuration(String key, String value) {
    return new IllegalArgumentException(key + "=" + value + ": " + ConfigDuration.EXPECTED);
  }
}
