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
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshtrace.xds.config.UpstreamTls;
import io.meshtrace.xds.config.YamlQuoting;
import io.meshtrace.xds.snapshot.NodeRole;
import io.meshtrace.xds.snapshot.UpstreamTlsSocket;
import io.meshtrace.xds.validate.EnvoyRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Envoy bootstrap that points an Envoy at this control plane: ADS over gRPC (delta by
 * default, {@code set_node_on_first_message_only}), LDS and CDS over ADS, node metadata
 * {@code role} for grouping, for gateways the {@code envoy.bootstrap.internal_listener}
 * extension the two-stage gateway needs, and optionally TLS (mTLS with a client certificate)
 * on the ADS connection: an {@code UpstreamTlsContext} on {@code xds_cluster}.
 *
 * <pre>
 * xds-server bootstrap --node-id meshtrace-gateway --cluster meshtrace-gateway --role gateway \
 *     --xds-host xds-server.meshtrace.svc --xds-port 18000 \
 *     --xds-tls-ca /etc/meshtrace/tls/ca.crt --xds-tls-cert /etc/meshtrace/tls/tls.crt \
 *     --xds-tls-key /etc/meshtrace/tls/tls.key
 * </pre>
 *
 * Every argument lands in the YAML as data, quoted where YAML needs it, and in the header
 * comment as a shell word ({@code 'a b'}, or {@code $'a\nb'} for control characters), so no
 * value can end the comment or add a key.
 */
public final class EnvoyBootstrap {

  /** Name of the static cluster that reaches xds-server. */
  public static final String XDS_CLUSTER = "xds_cluster";
  static final String INTERNAL_LISTENER_EXTENSION = "envoy.bootstrap.internal_listener";
  private static final String HTTP_PROTOCOL_OPTIONS =
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .stringQuotingChecker(new YamlQuoting())
      .build());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(InternalListener.getDescriptor())
      .add(HttpProtocolOptions.getDescriptor())
      .add(UpstreamTlsContext.getDescriptor())
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
   * @param tls TLS of the ADS connection, or null for plaintext
   */
  public record Options(String nodeId, String cluster, NodeRole role, String xdsHost,
      int xdsPort, int adminPort, boolean delta, UpstreamTls tls) {

    /** Plaintext ADS. */
    public Options(String nodeId, String cluster, NodeRole role, String xdsHost, int xdsPort,
        int adminPort, boolean delta) {
      this(nodeId, cluster, role, xdsHost, xdsPort, adminPort, delta, null);
    }

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

    /** The command line that prints this bootstrap, every value a shell word. */
    public String commandLine() {
      StringBuilder s = new StringBuilder("xds-server bootstrap");
      flag(s, "--node-id", nodeId);
      flag(s, "--cluster", cluster);
      flag(s, "--role", role.key());
      flag(s, "--xds-host", xdsHost);
      flag(s, "--xds-port", Integer.toString(xdsPort));
      flag(s, "--admin-port", Integer.toString(adminPort));
      s.append(delta ? " --delta" : " --sotw");
      if (tls != null) {
        flag(s, "--xds-tls-ca", tls.trustedCa());
        flag(s, "--xds-tls-cert", tls.certChain());
        flag(s, "--xds-tls-key", tls.privateKey());
        flag(s, "--xds-tls-sni", tls.sni());
      }
      return s.toString();
    }

    private static void flag(StringBuilder s, String flag, String value) {
      if (value != null) {
        s.append(' ').append(flag).append(' ').append(ShellWord.quote(value));
      }
    }
  }

  /**
   * The ADS connection's TLS from the {@code --xds-tls-*} flags, or null when none is given.
   *
   * @throws IllegalArgumentException naming the flag: a client certificate without its key, a
   *     relative path, TLS without {@code --xds-tls-ca}
   */
  public static UpstreamTls tls(String ca, String cert, String key, String sni) {
    if (ca == null && cert == null && key == null && sni == null) {
      return null;
    }
    if (ca == null) {
      throw new IllegalArgumentException("--xds-tls-ca: required with --xds-tls-cert, "
          + "--xds-tls-key or --xds-tls-sni (Envoy must check xds-server's certificate)");
    }
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException((cert == null ? "--xds-tls-cert" : "--xds-tls-key")
          + ": required with " + (cert == null ? "--xds-tls-key" : "--xds-tls-cert")
          + " (the client certificate for mTLS)");
    }
    envoyFile("--xds-tls-ca", ca);
    envoyFile("--xds-tls-cert", cert);
    envoyFile("--xds-tls-key", key);
    if (sni != null && (sni.isEmpty() || sni.length() > 253 || InetAddresses.isInetAddress(sni)
        || !sni.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?"))) {
      throw new IllegalArgumentException("--xds-tls-sni=" + ShellWord.quote(sni)
          + ": must be a DNS name (the name in xds-server's certificate)");
    }
    return new UpstreamTls(ca, cert, key, sni);
  }

  private static void envoyFile(String flag, String path) {
    if (path != null && (!path.startsWith("/") || ShellWord.needsEscapes(path))) {
      throw new IllegalArgumentException(flag + "=" + ShellWord.quote(path)
          + ": must be an absolute path on Envoy's file system, without control characters");
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
    if (o.tls() != null) {
      xds.setTransportSocket(UpstreamTlsSocket.socket(o.tls(), o.xdsHost()));
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
    if (o.tls() != null) {
      s.append("# ADS over ").append(o.tls().mutual() ? "mTLS (Envoy presents a client certificate)"
          : "TLS").append("; xds-server's certificate is checked against the CA.\n");
    }
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
    types.add(UpstreamTlsContext.getDefaultInstance());
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
