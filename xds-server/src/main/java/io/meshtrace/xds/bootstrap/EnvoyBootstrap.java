package io.meshtrace.xds.bootstrap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.common.net.InetAddresses;
import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Admin;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.bootstrap.internal_listener.v3.InternalListener;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshtrace.xds.snapshot.NodeRole;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Envoy bootstrap that points an Envoy at this control plane: ADS over gRPC (delta by
 * default, {@code set_node_on_first_message_only}), LDS and CDS over ADS, node metadata
 * {@code role} for grouping, and for gateways the {@code envoy.bootstrap.internal_listener}
 * extension the two-stage gateway needs.
 *
 * <pre>
 * xds-server bootstrap --node-id meshtrace-gateway --cluster meshtrace-gateway --role gateway \
 *     --xds-host xds-server.meshtrace.svc --xds-port 18000
 * </pre>
 */
public final class EnvoyBootstrap {

  /** Name of the static cluster that reaches xds-server. */
  public static final String XDS_CLUSTER = "xds_cluster";
  static final String INTERNAL_LISTENER_EXTENSION = "envoy.bootstrap.internal_listener";
  private static final String HTTP_PROTOCOL_OPTIONS =
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR));
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(InternalListener.getDescriptor())
      .add(HttpProtocolOptions.getDescriptor())
      .build();

  /**
   * What the bootstrap says.
   *
   * @param nodeId the node id (Envoy's {@code --service-node} overrides it)
   * @param cluster the node cluster: the service a sidecar fronts, the gateway's name
   * @param role {@code SIDECAR} or {@code GATEWAY}
   * @param xdsHost host name or IP of xds-server's ADS port
   * @param xdsPort that port
   * @param adminPort Envoy's admin port on 127.0.0.1
   * @param delta delta xDS ({@code DELTA_GRPC}) or state of the world ({@code GRPC})
   */
  public record Options(String nodeId, String cluster, NodeRole role, String xdsHost,
      int xdsPort, int adminPort, boolean delta) {

    /** Checks the values; throws with a message naming the flag. */
    public Options {
      if (nodeId == null || nodeId.isBlank()) {
        throw new IllegalArgumentException("--node-id: required");
      }
      if (cluster == null || cluster.isBlank()) {
        throw new IllegalArgumentException("--cluster: required");
      }
      if (role != NodeRole.SIDECAR && role != NodeRole.GATEWAY) {
        throw new IllegalArgumentException("--role=" + (role == null ? "" : role.key())
            + ": must be sidecar or gateway (proxyless gRPC clients use a grpc-xds bootstrap)");
      }
      if (xdsHost == null || xdsHost.isBlank()) {
        throw new IllegalArgumentException("--xds-host: required");
      }
      if (xdsPort < 1 || xdsPort > 65535) {
        throw new IllegalArgumentException("--xds-port=" + xdsPort
            + ": must be a port between 1 and 65535");
      }
      if (adminPort < 0 || adminPort > 65535) {
        throw new IllegalArgumentException("--admin-port=" + adminPort
            + ": must be a port between 0 and 65535");
      }
    }

    /** The command line that prints this bootstrap. */
    public String commandLine() {
      return "xds-server bootstrap --node-id " + nodeId + " --cluster " + cluster + " --role "
          + role.key() + " --xds-host " + xdsHost + " --xds-port " + xdsPort + " --admin-port "
          + adminPort + (delta ? " --delta" : " --sotw");
    }
  }

  private EnvoyBootstrap() {}

  /** The bootstrap as a proto. */
  public static Bootstrap proto(Options o) {
    Bootstrap.Builder b = Bootstrap.newBuilder()
        .setNode(Node.newBuilder()
            .setId(o.nodeId())
            .setCluster(o.cluster())
            .setMetadata(Struct.newBuilder().putFields(NodeRole.METADATA_KEY,
                Value.newBuilder().setStringValue(o.role().key()).build())))
        .setAdmin(Admin.newBuilder().setAddress(address("127.0.0.1", o.adminPort())));
    if (o.role() == NodeRole.GATEWAY) {
      b.addBootstrapExtensions(TypedExtensionConfig.newBuilder()
          .setName(INTERNAL_LISTENER_EXTENSION)
          .setTypedConfig(Any.pack(InternalListener.getDefaultInstance())));
    }
    ConfigSource ads = ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
    b.getDynamicResourcesBuilder()
        .setAdsConfig(ApiConfigSource.newBuilder()
            .setApiType(o.delta() ? ApiConfigSource.ApiType.DELTA_GRPC
                : ApiConfigSource.ApiType.GRPC)
            .setTransportApiVersion(ApiVersion.V3)
            .setSetNodeOnFirstMessageOnly(true)
            .addGrpcServices(GrpcService.newBuilder().setEnvoyGrpc(
                GrpcService.EnvoyGrpc.newBuilder().setClusterName(XDS_CLUSTER))))
        .setLdsConfig(ads)
        .setCdsConfig(ads);
    boolean ip = InetAddresses.isInetAddress(o.xdsHost());
    Cluster.Builder xds = Cluster.newBuilder()
        .setName(XDS_CLUSTER)
        .setType(ip ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(Duration.newBuilder().setSeconds(1))
        .putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(
            HttpProtocolOptions.newBuilder()
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                .build()))
        .setLoadAssignment(ClusterLoadAssignment.newBuilder()
            .setClusterName(XDS_CLUSTER)
            .addEndpoints(LocalityLbEndpoints.newBuilder()
                .addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder()
                    .setAddress(address(o.xdsHost(), o.xdsPort()))))));
    if (!ip) {
      xds.setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED);
    }
    b.getStaticResourcesBuilder().addClusters(xds);
    return b.build();
  }

  /**
   * The bootstrap as YAML, with a comment header saying how to run Envoy with it and the
   * command that prints it.
   */
  public static String yaml(Options o) {
    StringBuilder s = new StringBuilder();
    String file = o.role().key() + "-bootstrap.yaml";
    s.append("# Envoy (v1.34) bootstrap of a meshtrace ").append(o.role().key())
        .append(", configured by xds-server over ADS\n");
    s.append("# (").append(o.delta() ? "delta" : "state-of-the-world")
        .append(" xDS; listeners and clusters come from xds-server).\n");
    if (o.role() == NodeRole.GATEWAY) {
      s.append("# The gateway's internal listener (two-stage gateway with header repair) needs\n")
          .append("# the envoy.bootstrap.internal_listener extension below.\n");
    }
    s.append("#\n# Generated, do not edit: ").append(o.commandLine()).append('\n');
    s.append("# Run:  envoy -c ").append(file).append(" --service-node \"$POD_NAME\"");
    if (o.role() == NodeRole.SIDECAR) {
      s.append(" --service-cluster <service>");
    }
    s.append('\n');
    s.append("# xds-server groups proxies by node.cluster (the service, or the gateway's name)\n")
        .append("# and node.metadata.role.\n");
    s.append(toYaml(proto(o)));
    return s.toString();
  }

  /** Reads bootstrap YAML or JSON back into the proto; unknown fields fail. */
  public static Bootstrap parse(String yaml) throws InvalidProtocolBufferException {
    try {
      JsonNode tree = YAML.readTree(yaml);
      Bootstrap.Builder b = Bootstrap.newBuilder();
      JsonFormat.parser().usingTypeRegistry(TYPES).merge(JSON.writeValueAsString(tree), b);
      return b.build();
    } catch (JsonProcessingException e) {
      throw new InvalidProtocolBufferException("not YAML: " + e.getOriginalMessage());
    }
  }

  /** Envoy's validate rules over the bootstrap: the problems, empty when it passes. */
  public static List<String> check(Bootstrap b) {
    List<Message> types = new ArrayList<>();
    types.add(InternalListener.getDefaultInstance());
    types.add(HttpProtocolOptions.getDefaultInstance());
    return new EnvoyRules(types).check(b);
  }

  /** Parses a {@code --role} value: sidecar or gateway. */
  public static NodeRole role(String s) {
    NodeRole r = NodeRole.parse(s.toLowerCase(Locale.ROOT));
    if (r != NodeRole.SIDECAR && r != NodeRole.GATEWAY) {
      throw new IllegalArgumentException("--role=" + s + ": must be sidecar or gateway");
    }
    return r;
  }

  private static String toYaml(Bootstrap b) {
    try {
      String json = JsonFormat.printer().usingTypeRegistry(TYPES).preservingProtoFieldNames()
          .print(b);
      return YAML.writeValueAsString(JSON.readTree(json));
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Address address(String host, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
        .setAddress(host).setPortValue(port)).build();
  }
}
