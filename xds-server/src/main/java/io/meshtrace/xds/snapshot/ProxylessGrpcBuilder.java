package io.meshtrace.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Service;

/**
 * The resources of a proxyless gRPC client (grpc-java, grpc-js-xds): one api_listener per
 * authority a channel target may name ({@code xds:///reviews}, {@code xds:///reviews:9080},
 * {@code xds:///reviews.default.svc.cluster.local}), each an HCM with its route inline, and the
 * EDS or LOGICAL_DNS cluster of every service port the client depends on.
 */
final class ProxylessGrpcBuilder {

  /**
   * {@code GoogleGrpc.channel_credentials_plugin} (repeated Any): newer than the v1.34 protos
   * this server is built on; grpc-xds reads it (field number from its descriptor) and needs a
   * credentials plugin to open the ext_proc channel.
   */
  static final int CHANNEL_CREDENTIALS_PLUGIN_FIELD = 9;
  static final String INSECURE_CREDENTIALS = "type.googleapis.com/"
      + "envoy.extensions.grpc_service.channel_credentials.insecure.v3.InsecureCredentials";

  private final MeshConfig config;
  private final Service self;
  private final String serviceName;
  private final ResourceSet set;
  private final ServiceResources services;
  private final ConnectionManagers hcms;

  /** @param self the client's service, null when it is not in the config */
  ProxylessGrpcBuilder(MeshConfig config, Service self, String serviceName, ResourceSet set) {
    this.config = config;
    this.self = self;
    this.serviceName = serviceName;
    this.set = set;
    this.services = new ServiceResources(config, self, set, false);
    this.hcms = new ConnectionManagers(serviceName, set);
  }

  void build() {
    for (Service d : services.dependencies()) {
      EffectiveTracing t = EffectiveTracing.resolve(config, self == null ? "" : serviceName,
          true);
      for (int i = 0; i < d.ports().size(); i++) {
        Port port = d.ports().get(i);
        String cluster = services.servicePortCluster(d, port);
        // grpc-xds asks for the listener named by the target's authority:
        // xds:///reviews, xds:///reviews:9080, xds:///reviews.default.svc.cluster.local, ...
        for (String name : ServiceResources.authorities(d, port, i == 0)) {
          HttpConnectionManager.Builder hcm = hcms.traced("grpc", t);
          MeshConfig.HeaderRepair repair = config.gateway().headerRepair();
          if (repair.enabled()) {
            // grpc-xds runs HTTP filters in order: repair before the call leaves the client.
            // Optional: a client without ext_proc support skips it instead of NACKing.
            hcm.addHttpFilters(0, HttpFilter.newBuilder()
                .setName(EnvoyProtos.EXT_PROC_FILTER)
                .setIsOptional(true)
                .setTypedConfig(Any.pack(EnvoyProtos.extProc(repair, googleGrpc(repair)))));
          }
          hcm.setRouteConfig(RouteConfiguration.newBuilder()
                  .setName("grpc|" + name)
                  .addVirtualHosts(VirtualHost.newBuilder()
                      .setName(name)
                      .addDomains("*")
                      .addAllRoutes(services.serviceRoutes(d, cluster))));
          set.putListener(Listener.newBuilder()
              .setName(name)
              .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm.build())))
              .build(), d.path());
        }
      }
    }
  }

  /**
   * ext-proc as a proxyless gRPC client reaches it: a Google gRPC target with a scheme and
   * insecure channel credentials (grpc-xds has no Envoy clusters for side channels).
   */
  private static GrpcService googleGrpc(MeshConfig.HeaderRepair repair) {
    Any insecure = Any.newBuilder().setTypeUrl(INSECURE_CREDENTIALS).build();
    return GrpcService.newBuilder().setGoogleGrpc(GrpcService.GoogleGrpc.newBuilder()
            .setTargetUri("dns:///" + EnvoyProtos.hostPort(repair.extProcHost(),
                repair.extProcPort()))
            .setStatPrefix(EnvoyProtos.EXT_PROC_CLUSTER)
            .setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(CHANNEL_CREDENTIALS_PLUGIN_FIELD, UnknownFieldSet.Field.newBuilder()
                    .addLengthDelimited(insecure.toByteString()).build())
                .build()))
        .build();
  }
}
