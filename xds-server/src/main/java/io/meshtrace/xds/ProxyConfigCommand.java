package io.meshtrace.xds;

import com.google.protobuf.Any;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.meshtrace.cli.ExitCode;
import io.meshtrace.xds.snapshot.PackedTypes;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xds-server proxy-config NODE}: what the node was last sent
 * ({@code GET /proxies/{node}/config}), a table per type as {@code istioctl proxy-config}
 * prints them, or with {@code -o json} the whole config dump.
 *
 * <pre>
 * CLUSTER NAME                   TYPE     LB POLICY
 * outbound|9080||reviews         EDS      ROUND_ROBIN
 *
 * LISTENER NAME                  ADDRESS      PORT      FILTER CHAINS
 * ...
 * </pre>
 * Exit 1 when the admin API cannot be read or no replica there serves the node, 2 for a type
 * the server does not send.
 */
@Command(name = "proxy-config", mixinStandardHelpOptions = true,
    description = "Prints what a node was last sent (GET /proxies/NODE/config): a table per type,"
        + " or Envoy's config dump with -o json.")
final class ProxyConfigCommand implements Callable<Integer> {

  private final PrintStream out;
  private final PrintStream err;

  @Spec
  private CommandSpec spec;

  @Mixin
  AdminClient admin = new AdminClient();

  @Parameters(index = "0", paramLabel = "NODE", description = "The node id.")
  String node;

  @Option(names = "--type", paramLabel = "TYPE", split = ",",
      description = "cluster, endpoint, listener or route (repeatable or comma-separated; "
          + "default: all).")
  List<String> types = new ArrayList<>();

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "table or json (default: ${DEFAULT-VALUE}).")
  String output;

  ProxyConfigCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    CommandLine cl = spec.commandLine();
    if (!output.equals("table") && !output.equals("json")) {
      throw new CommandLine.ParameterException(cl, "--output=" + output
          + ": expected table or json");
    }
    StringBuilder path = new StringBuilder("/proxies/")
        .append(URLEncoder.encode(node, StandardCharsets.UTF_8).replace("+", "%20"))
        .append("/config");
    if (!types.isEmpty()) {
      path.append("?type=").append(URLEncoder.encode(String.join(",", types),
          StandardCharsets.UTF_8));
    }
    AdminClient.Answer a = admin.get(cl, path.toString());
    if (a.status() == 400) {
      throw new CommandLine.ParameterException(cl, "--type: " + AdminClient.error(a));
    }
    if (a.status() != 200) {
      err.println("proxy-config: " + AdminClient.error(a));
      return ExitCode.FAILURE;
    }
    if (output.equals("json")) {
      out.print(a.body());
      return ExitCode.OK;
    }
    ConfigDump.Builder dump = ConfigDump.newBuilder();
    JsonFormat.parser().usingTypeRegistry(PackedTypes.registry()).ignoringUnknownFields()
        .merge(a.body(), dump);
    boolean first = true;
    for (Any c : dump.getConfigsList()) {
      if (!first) {
        out.println();
      }
      first = false;
      table(c).print(out);
    }
    return ExitCode.OK;
  }

  private static TextTable table(Any c) throws IOException {
    if (c.is(ClustersConfigDump.class)) {
      TextTable t = new TextTable("CLUSTER NAME", "TYPE", "LB POLICY", "EDS SERVICE");
      for (var d : c.unpack(ClustersConfigDump.class).getDynamicActiveClustersList()) {
        Cluster k = d.getCluster().unpack(Cluster.class);
        t.row(k.getName(), k.hasClusterType() ? k.getClusterType().getName() : k.getType(),
            k.getLbPolicy(), k.getEdsClusterConfig().getServiceName());
      }
      return t;
    }
    if (c.is(EndpointsConfigDump.class)) {
      TextTable t = new TextTable("ENDPOINT", "STATUS", "CLUSTER");
      for (var d : c.unpack(EndpointsConfigDump.class).getDynamicEndpointConfigsList()) {
        ClusterLoadAssignment cla = d.getEndpointConfig().unpack(ClusterLoadAssignment.class);
        for (LocalityLbEndpoints l : cla.getEndpointsList()) {
          for (LbEndpoint e : l.getLbEndpointsList()) {
            SocketAddress s = e.getEndpoint().getAddress().getSocketAddress();
            String host = s.getAddress().indexOf(':') >= 0 ? "[" + s.getAddress() + "]"
                : s.getAddress();
            t.row(host + ":" + s.getPortValue(), e.getHealthStatus(), cla.getClusterName());
          }
        }
      }
      return t;
    }
    if (c.is(ListenersConfigDump.class)) {
      TextTable t = new TextTable("LISTENER NAME", "ADDRESS", "PORT", "FILTER CHAINS");
      for (var d : c.unpack(ListenersConfigDump.class).getDynamicListenersList()) {
        Listener l = d.getActiveState().getListener().unpack(Listener.class);
        SocketAddress s = l.getAddress().getSocketAddress();
        boolean api = l.hasApiListener();
        t.row(l.getName(), api ? "API LISTENER" : l.hasInternalListener() ? "INTERNAL"
            : s.getAddress(), api || l.hasInternalListener() ? "-" : s.getPortValue(),
            api ? "-" : l.getFilterChainsCount());
      }
      return t;
    }
    if (c.is(RoutesConfigDump.class)) {
      TextTable t = new TextTable("ROUTE NAME", "VHOST NAME", "DOMAINS", "MATCH", "CLUSTER");
      for (var d : c.unpack(RoutesConfigDump.class).getDynamicRouteConfigsList()) {
        RouteConfiguration rc = d.getRouteConfig().unpack(RouteConfiguration.class);
        for (VirtualHost vh : rc.getVirtualHostsList()) {
          for (Route r : vh.getRoutesList()) {
            t.row(rc.getName(), vh.getName(), String.join(",", vh.getDomainsList()),
                match(r.getMatch()), r.getRoute().getCluster());
          }
        }
      }
      return t;
    }
    return new TextTable("UNKNOWN TYPE").row(c.getTypeUrl());
  }

  private static String match(RouteMatch m) {
    return switch (m.getPathSpecifierCase()) {
      case PREFIX -> m.getPrefix().isEmpty() ? "/*" : m.getPrefix() + "*";
      case PATH -> m.getPath();
      case SAFE_REGEX -> m.getSafeRegex().getRegex();
      case PATH_SEPARATED_PREFIX -> m.getPathSeparatedPrefix() + "/*";
      default -> "*";
    };
  }
}
