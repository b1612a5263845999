package io.meshtrace.xds.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshtrace.xds.config.MeshConfig.Endpoint;
import io.meshtrace.xds.config.MeshConfig.Locality;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Protocol;
import io.meshtrace.xds.config.MeshConfig.Route;
import io.meshtrace.xds.config.MeshConfig.RouteTracing;
import io.meshtrace.xds.config.MeshConfig.Service;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code services}: names, hosts, ports (Istio ServiceEntry's), endpoints, dependencies,
 * per-route tracing and locality.
 *
 * <p>The key is required: a file without it would serve a mesh of nothing to every proxy, which
 * is what an emptied or truncated file looks like. A mesh without services says so with
 * {@code services: []}.
 */
final class ServicesReader {

  private static final String LABEL_VALUE = "must be 1-63 letters, digits, '-', '_' or '.',"
      + " starting and ending with a letter or digit (a Kubernetes topology label value)";

  private ServicesReader() {}

  static List<Service> read(ConfigTree section, References refs) {
    JsonNode n = section.node();
    if (n == null || n.isNull() || n.isTextual() && n.textValue().isEmpty()) {
      section.error(n == null ? "(missing)" : "(empty)", "required: list the mesh's"
          + " services, or write services: [] for a mesh without any");
      return List.of();
    }
    List<Service> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (ConfigTree item : section.items()) {
      ConfigTree o = item.mapping(Set.of("name", "hosts", "ports", "endpoints",
          "dependencies", "routes", "locality"));
      if (o == null) {
        continue;
      }
      String name = o.string("name", true);
      if (name != null && !ValueSyntax.isDnsName(name)) {
        o.error("name", name, "must be a DNS name (lower-case letters, digits, '-', '.')");
        name = null;
      } else if (name != null && !names.add(name)) {
        o.error("name", name, "duplicate service");
        name = null;
      }
      List<String> hosts = new ArrayList<>();
      for (ConfigTree h : o.at("hosts").items()) {
        String host = h.scalar();
        if (host != null && !ValueSyntax.isHost(host)) {
          h.error(host, "must be a host name");
        } else if (host != null) {
          hosts.add(host);
        }
      }
      List<Port> ports = ports(o.at("ports"));
      List<Endpoint> endpoints = endpoints(o.at("endpoints"), ports);
      List<String> dependencies = null;
      if (o.has("dependencies")) {
        List<String> deps = new ArrayList<>();
        for (ConfigTree d : o.at("dependencies").items()) {
          String dep = d.scalar();
          if (dep != null) {
            refs.service(d.path(), dep);
            deps.add(dep);
          }
        }
        dependencies = List.copyOf(deps);
      }
      List<Route> routes = routes(o.at("routes"));
      Locality locality = locality(o.at("locality"));
      if (name != null) {
        out.add(new Service(o.path(), name, List.copyOf(hosts), ports, endpoints, dependencies,
            routes, locality));
      }
    }
    return List.copyOf(out);
  }

  private static List<Port> ports(ConfigTree node) {
    if (node.node() == null) {
      node.error("(missing)", "a service needs at least one port");
      return List.of();
    }
    List<ConfigTree> items = node.items();
    if (items.isEmpty()) {
      node.error("[]", "a service needs at least one port");
    }
    List<Port> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<Integer> numbers = new HashSet<>();
    for (ConfigTree item : items) {
      ConfigTree o = item.mapping(Set.of("name", "number", "targetPort", "protocol"));
      if (o == null) {
        continue;
      }
      Integer number = o.port("number", true);
      Integer target = o.port("targetPort", false);
      String name = o.string("name", false);
      if (name == null && number != null) {
        name = Port.defaultName(number);
      }
      if (name != null && !ValueSyntax.isDnsLabel(name)) {
        o.error("name", name, "must be a DNS label (lower-case letters, digits, '-')");
      } else if (name != null && !names.add(name)) {
        o.error("name", name, "duplicate port name");
      }
      if (number != null && !numbers.add(number)) {
        o.error("number", number.toString(), "duplicate port number");
      }
      Protocol protocol = o.choice("protocol", Protocol.class, Protocol.DEFAULT,
          "must be one of HTTP, HTTP2, GRPC");
      if (number != null && name != null) {
        out.add(new Port(o.path(), name, number, target == null ? number : target, protocol));
      }
    }
    return List.copyOf(out);
  }

  private static List<Endpoint> endpoints(ConfigTree node, List<Port> ports) {
    Set<String> portNames = new HashSet<>();
    ports.forEach(p -> portNames.add(p.name()));
    List<Endpoint> out = new ArrayList<>();
    for (ConfigTree item : node.items()) {
      ConfigTree o = item.mapping(Set.of("address", "ports", "weight"));
      if (o == null) {
        continue;
      }
      String address = o.host("address", true, "must be an IP address or host name");
      Map<String, Integer> own = new LinkedHashMap<>();
      ConfigTree pn = o.at("ports");
      if (pn.node() != null && !pn.node().isObject()) {
        pn.error(pn.text(), "must be a mapping of port name to port number");
      } else if (pn.node() != null) {
        for (Map.Entry<String, ConfigTree> e : pn.entries().entrySet()) {
          if (!portNames.contains(e.getKey())) {
            e.getValue().error(e.getValue().text(), "unknown port name; defined: "
                + ConfigTree.sorted(portNames));
            continue;
          }
          Integer n = e.getValue().portValue();
          if (n != null) {
            own.put(e.getKey(), n);
          }
        }
      }
      Integer weight = o.integer("weight", false, 1, 128);
      if (address != null) {
        out.add(new Endpoint(o.path(), address, Collections.unmodifiableMap(own),
            weight == null ? Endpoint.DEFAULT_WEIGHT : weight));
      }
    }
    return List.copyOf(out);
  }

  private static List<Route> routes(ConfigTree node) {
    List<Route> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<ConfigTree> items = node.items();
    for (int i = 0; i < items.size(); i++) {
      ConfigTree o = items.get(i).mapping(Set.of("name", "prefix", "tracing"));
      if (o == null) {
        continue;
      }
      String name = o.string("name", false);
      if (name == null) {
        name = Route.defaultName(i);
      } else if (!names.add(name)) {
        o.error("name", name, "duplicate route name");
      }
      String prefix = o.httpPath("prefix", Route.DEFAULT_PREFIX);
      RouteTracing tracing = null;
      if (o.has("tracing")) {
        ConfigTree t = o.at("tracing").mapping(Set.of("randomSamplingPercentage",
            "clientSamplingPercentage", "overallSamplingPercentage", "customTags"));
        if (t != null) {
          tracing = new RouteTracing(t.path(), t.percent("randomSamplingPercentage"),
              t.percent("clientSamplingPercentage"), t.percent("overallSamplingPercentage"),
              CustomTagReader.read(t.at("customTags")));
        }
      }
      out.add(new Route(o.path(), name, prefix, tracing));
    }
    return List.copyOf(out);
  }

  /**
   * {@code locality: {region, zone, subZone}}: each optional, each within the one before it,
   * as a Kubernetes node's {@code topology.kubernetes.io/region} and {@code zone} labels.
   */
  private static Locality locality(ConfigTree node) {
    if (node.node() == null) {
      return Locality.NONE;
    }
    ConfigTree o = node.mapping(Set.of("region", "zone", "subZone"));
    if (o == null) {
      return Locality.NONE;
    }
    String region = label(o, "region");
    String zone = label(o, "zone");
    String subZone = label(o, "subZone");
    if (zone != null && !o.has("region")) {
      o.error("zone", zone, "needs region: a zone lies within a region");
    }
    if (subZone != null && !o.has("zone")) {
      o.error("subZone", subZone, "needs zone: a sub-zone lies within a zone");
    }
    return new Locality(region == null ? "" : region, zone == null ? "" : zone,
        subZone == null ? "" : subZone);
  }

  private static String label(ConfigTree o, String key) {
    String s = o.string(key, false);
    if (s != null && !ValueSyntax.isLabelValue(s)) {
      o.error(key, s.isEmpty() ? "\"\"" : ValueSyntax.shorten(s, 60), LABEL_VALUE);
      return null;
    }
    return s;
  }
}
