package io.meshtrace.xds.snapshot;

import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.trace.v3.DatadogConfig;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

/**
 * Every message type the builders of this package put into a resource, directly or packed in an
 * {@code Any} ({@code typed_config}, {@code typed_extension_protocol_options}), and Envoy's admin
 * config dump types: what {@link JsonFormat} needs to print or parse a config dump of what was
 * sent. A builder that packs a new type adds it here; {@code ProxyConfigTest} prints every
 * resource of a mesh with every provider and role through this registry.
 */
public final class PackedTypes {

  private static final JsonFormat.TypeRegistry REGISTRY = JsonFormat.TypeRegistry.newBuilder()
      .add(ConfigDump.getDescriptor())
      .add(ClustersConfigDump.getDescriptor())
      .add(EndpointsConfigDump.getDescriptor())
      .add(ListenersConfigDump.getDescriptor())
      .add(RoutesConfigDump.getDescriptor())
      .add(Cluster.getDescriptor())
      .add(ClusterLoadAssignment.getDescriptor())
      .add(Listener.getDescriptor())
      .add(RouteConfiguration.getDescriptor())
      .add(HttpConnectionManager.getDescriptor())
      .add(Router.getDescriptor())
      .add(ExternalProcessor.getDescriptor())
      .add(OriginalDst.getDescriptor())
      .add(UuidRequestIdConfig.getDescriptor())
      .add(HttpProtocolOptions.getDescriptor())
      .add(InternalUpstreamTransport.getDescriptor())
      .add(RawBuffer.getDescriptor())
      .add(OpenTelemetryConfig.getDescriptor())
      .add(ZipkinConfig.getDescriptor())
      .add(DatadogConfig.getDescriptor())
      .add(SkyWalkingConfig.getDescriptor())
      .build();

  private PackedTypes() {}

  /** The registry (adding a descriptor adds its whole file and the files it imports). */
  public static JsonFormat.TypeRegistry registry() {
    return REGISTRY;
  }
}
