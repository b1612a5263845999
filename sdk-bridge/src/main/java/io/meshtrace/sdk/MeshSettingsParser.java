package io.meshtrace.sdk;

import io.meshtrace.context.HttpToken;
import io.meshtrace.context.MeshPropagation;
import io.meshtrace.context.PropagationFormat;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** The one parser of {@code meshtrace.*} properties into {@link MeshSettings}. */
final class MeshSettingsParser {

  private MeshSettingsParser() {}

  static MeshSettings parse(Function<String, String> lookup) {
    String name = value(lookup, MeshSettings.SERVICE_NAME);
    String nameKey = MeshSettings.SERVICE_NAME;
    if (name == null) {
      name = value(lookup, "otel.service.name");
      nameKey = "otel.service.name";
    }
    if (name == null) {
      throw new IllegalArgumentException(
          MeshSettings.SERVICE_NAME + " is not set: must name the application (e.g. productpage)");
    }
    if (!isServiceName(name)) {
      throw new IllegalArgumentException(
          nameKey + "=" + name + ": must be printable ASCII without spaces");
    }
    String namespace = value(lookup, MeshSettings.SERVICE_NAMESPACE);
    if (namespace != null && !isServiceName(namespace)) {
      throw new IllegalArgumentException(MeshSettings.SERVICE_NAMESPACE + "=" + namespace
          + ": must be printable ASCII without spaces");
    }
    boolean qualify = bool(lookup, MeshSettings.SERVICE_QUALIFY, true);

    Set<PropagationFormat> propagation;
    String propagationValue = value(lookup, MeshSettings.PROPAGATION);
    String meshVersion = value(lookup, MeshSettings.MESH_VERSION);
    if (propagationValue != null) {
      propagation = propagation(MeshSettings.PROPAGATION, propagationValue);
    } else if (meshVersion != null) {
      propagation = MeshPropagation.formatsFor(MeshSettings.MESH_VERSION, meshVersion);
    } else {
      propagation = MeshSettings.DEFAULT_PROPAGATION;
    }

    String protocolName = value(lookup, MeshSettings.EXPORTER);
    ExportProtocol protocol = ExportProtocol.ZIPKIN_JSON;
    if (protocolName != null) {
      protocol = ExportProtocol.fromConfigName(protocolName.toLowerCase(Locale.ROOT));
      if (protocol == null) {
        throw new IllegalArgumentException(MeshSettings.EXPORTER + "=" + protocolName
            + ": must be one of zipkin, zipkin-proto, zipkin-v1, otlp-grpc, otlp-http, none");
      }
    }
    MeshSettings.Exporter exporter = MeshSettings.Exporter.defaults(protocol);
    String endpoint = value(lookup, MeshSettings.EXPORTER_ENDPOINT);
    if (endpoint != null && protocol != ExportProtocol.NONE) {
      exporter = exporter.withEndpoint(uri(MeshSettings.EXPORTER_ENDPOINT, endpoint));
    }
    String headers = value(lookup, MeshSettings.EXPORTER_HEADERS);
    if (headers != null) {
      exporter = exporter.withHeaders(headers(MeshSettings.EXPORTER_HEADERS, headers));
    }
    String timeout = value(lookup, MeshSettings.EXPORTER_TIMEOUT);
    if (timeout != null) {
      exporter = exporter.withTimeout(duration(MeshSettings.EXPORTER_TIMEOUT, timeout));
    }
    String delay = value(lookup, MeshSettings.EXPORTER_DELAY);
    if (delay != null) {
      exporter = exporter.withBatchDelay(duration(MeshSettings.EXPORTER_DELAY, delay));
    }

    double sampling = 100;
    String samplingValue = value(lookup, MeshSettings.SAMPLING);
    if (samplingValue != null) {
      try {
        sampling = Double.parseDouble(samplingValue);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(MeshSettings.SAMPLING + "=" + samplingValue
            + ": must be a number between 0 and 100");
      }
      if (!(sampling >= 0 && sampling <= 100)) {
        throw new IllegalArgumentException(
            MeshSettings.SAMPLING + "=" + samplingValue + ": must be between 0 and 100");
      }
    }
    return new MeshSettings(name, namespace, qualify, propagation, exporter, sampling);
  }

  /** {@code b3} (= b3multi), {@code b3multi}, {@code b3single}, {@code w3c}, comma-separated. */
  static Set<PropagationFormat> propagation(String key, String value) {
    Set<PropagationFormat> formats = EnumSet.noneOf(PropagationFormat.class);
    for (String raw : value.split(",", -1)) {
      String item = raw.trim().toLowerCase(Locale.ROOT);
      PropagationFormat format =
          "b3".equals(item) ? PropagationFormat.B3_MULTI : PropagationFormat.fromConfigName(item);
      if (format == null) {
        throw new IllegalArgumentException(key + "=" + value
            + ": must be a comma-separated list of b3, b3multi, b3single, w3c");
      }
      formats.add(format);
    }
    return formats;
  }

  static Duration duration(String key, String value) {
    String v = value.trim();
    int split = 0;
    while (split < v.length() && Character.isDigit(v.charAt(split))) {
      split++;
    }
    String unit = v.substring(split).trim().toLowerCase(Locale.ROOT);
    if (split == 0 || split > 12) {
      throw badDuration(key, value);
    }
    long amount = Long.parseLong(v.substring(0, split));
    switch (unit) {
      case "":
      case "ms":
        return Duration.ofMillis(amount);
      case "s":
        return Duration.ofSeconds(amount);
      case "m":
        return Duration.ofMinutes(amount);
      case "h":
        return Duration.ofHours(amount);
      case "d":
        return Duration.ofDays(amount);
      default:
        throw badDuration(key, value);
    }
  }

  private static IllegalArgumentException badDuration(String key, String value) {
    return new IllegalArgumentException(key + "=" + value
        + ": must be a whole number of milliseconds or a number with unit ms, s, m, h or d (e.g. 15m)");
  }

  static URI uri(String key, String value) {
    try {
      return new URI(value.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(key + "=" + value + ": must be a URL (" + e.getReason() + ")");
    }
  }

  /** {@code name=value,name=value}; values may contain {@code =} and spaces. */
  static Map<String, String> headers(String key, String value) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String pair : value.split(",", -1)) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(key + "=" + pair.trim()
            + ": must be a comma-separated list of name=value");
      }
      String name = pair.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String headerValue = pair.substring(eq + 1).trim();
      if (!HttpToken.isToken(name) || !isHeaderValue(headerValue)) {
        throw new IllegalArgumentException(key + "=" + name
            + "=...: header names must be HTTP tokens and values printable ASCII");
      }
      headers.put(name, headerValue);
    }
    return headers;
  }

  private static boolean bool(Function<String, String> lookup, String key, boolean fallback) {
    String v = value(lookup, key);
    if (v == null) {
      return fallback;
    }
    if ("true".equalsIgnoreCase(v)) {
      return true;
    }
    if ("false".equalsIgnoreCase(v)) {
      return false;
    }
    throw new IllegalArgumentException(key + "=" + v + ": must be true or false");
  }

  private static String value(Function<String, String> lookup, String key) {
    String v = lookup.apply(key);
    return v == null || v.isBlank() ? null : v.trim();
  }

  static boolean isServiceName(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return !s.isEmpty();
  }

  static boolean isHeaderValue(String s) {
    if (s == null) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < ' ' && c != '\t') || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
