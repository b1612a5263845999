package io.meshtrace.context;

/** A trace context header format the gateway reads and writes. */
public enum PropagationFormat {
  /** W3C Trace Context: {@code traceparent} and {@code tracestate}. */
  W3C("w3c"),
  /** B3 multi-header: {@code x-b3-traceid}, {@code x-b3-spanid}, ... */
  B3_MULTI("b3multi"),
  /** B3 single header: {@code b3: {traceid}-{spanid}-{sampling}-{parentspanid}}. */
  B3_SINGLE("b3single");

  private final String configName;

  PropagationFormat(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration files and flags: {@code w3c}, {@code b3multi}, {@code b3single}. */
  public String configName() {
    return configName;
  }

  /** Parses a configuration name; returns null when {@code name} is not one of them. */
  public static PropagationFormat fromConfigName(String name) {
    for (PropagationFormat format : values()) {
      if (format.configName.equals(name)) {
        return format;
      }
    }
    return null;
  }
}
