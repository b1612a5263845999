package io.meshtrace.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.bootstrap.internal_listener.v3.InternalListener;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.List;

/**
 * Decodes Envoy configuration (YAML already read into a Jackson tree) into the Envoy v1.34 proto
 * types of io.envoyproxy.controlplane:api, the way Envoy reads it: unknown fields, unknown enum
 * names and unknown {@code @type} URLs are errors.
 */
final class EnvoyJson {
  /** Every typed_config type the shipped configs may use. */
  static final List<Message> ANY_TYPES = List.of(
      HttpConnectionManager.getDefaultInstance(),
      ExternalProcessor.getDefaultInstance(),
      Router.getDefaultInstance(),
      Cors.getDefaultInstance(),
      HTTPFault.getDefaultInstance(),
      InternalListener.getDefaultInstance(),
      InternalUpstreamTransport.getDefaultInstance(),
      RawBuffer.getDefaultInstance(),
      HttpProtocolOptions.getDefaultInstance(),
      OpenTelemetryConfig.getDefaultInstance(),
      ZipkinConfig.getDefaultInstance(),
      SkyWalkingConfig.getDefaultInstance(),
      UuidRequestIdConfig.getDefaultInstance(),
      StdoutAccessLog.getDefaultInstance(),
      UpstreamTlsContext.getDefaultInstance());

  /** {@link #ANY_TYPES} for the JSON parser. */
  static final JsonFormat.TypeRegistry TYPES = registry(ANY_TYPES);

  /**
   * Envoy's {@code validate.rules} (protoc-gen-validate) as xds-server checks them, with
   * typed_config payloads of {@link #ANY_TYPES} unpacked and checked too.
   */
  static final EnvoyRules RULES = new EnvoyRules(ANY_TYPES);

  private static final JsonFormat.Parser PARSER = JsonFormat.parser().usingTypeRegistry(TYPES);

  private EnvoyJson() {}

  private static JsonFormat.TypeRegistry registry(List<Message> types) {
    JsonFormat.TypeRegistry.Builder b = JsonFormat.TypeRegistry.newBuilder();
    for (Message m : types) {
      b.add(m.getDescriptorForType());
    }
    return b.build();
  }

  @SuppressWarnings("unchecked")
  static <T extends Message> T decode(JsonNode node, Message.Builder builder, String where) {
    try {
      PARSER.merge(node.toString(), builder);
    } catch (InvalidProtocolBufferException e) {
      throw new EnvoyConfigException(where + ": " + e.getMessage(), e);
    }
    return (T) builder.build();
  }

  static Bootstrap bootstrap(JsonNode node, String where) {
    return decode(node, Bootstrap.newBuilder(), where);
  }

  /** Unpacks an Any that was decoded through {@link #TYPES}. */
  static <T extends Message> T unpack(com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new EnvoyConfigException("typed_config is " + any.getTypeUrl() + ", not " + type.getName(), e);
    }
  }

  /** A config that Envoy would reject when loading it. */
  static final class EnvoyConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EnvoyConfigException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
