package io.meshtrace.xds.admin;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.meshtrace.xds.server.ProxyRegistry.SentType;
import io.meshtrace.xds.snapshot.PackedTypes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a node was last sent, in the shape of Envoy's {@code /config_dump}: one typed entry per
 * resource type, field names as Envoy prints them.
 *
 * <pre>
 * {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
 *               "version_info": "3f2a...",
 *               "dynamic_active_clusters": [{"version_info": "3f2a...", "cluster": {...},
 *                                            "last_updated": "2026-12-02T15:04:05.123Z"}]},
 *              ...ListenersConfigDump, RoutesConfigDump, EndpointsConfigDump]}
 * </pre>
 * Entries come in Envoy's order (clusters, endpoints, listeners, routes); a type not yet sent
 * has no entry.
 */
final class ConfigDumps {

  /**
   * The types of {@code ?type=}, by the name {@code istioctl proxy-config} gives them, with the
   * registry's type name. Secrets are not served (no SDS), so {@code secret} is refused.
   */
  static final Map<String, String> TYPES = orderedTypes();

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .usingTypeRegistry(PackedTypes.registry())
      .preservingProtoFieldNames();

  private ConfigDumps() {}

  private static Map<String, String> orderedTypes() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("cluster", "clusters");
    m.put("endpoint", "endpoints");
    m.put("listener", "listeners");
    m.put("route", "routes");
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * The registry type names {@code values} of {@code ?type=} ask for, in dump order; all of them
   * when {@code values} is empty. A value may be singular or plural ({@code cluster},
   * {@code clusters}) and hold several, comma-separated.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  static List<String> types(List<String> values) {
    if (values.isEmpty()) {
      return List.copyOf(TYPES.values());
    }
    List<String> asked = new ArrayList<>();
    for (String value : values) {
      for (String part : value.split(",", -1)) {
        String t = part.trim();
        String name = TYPES.get(t.endsWith("s") ? t.substring(0, t.length() - 1) : t);
        if (name == null) {
          throw new IllegalArgumentException("type=" + t + ": not a type this server sends; "
              + "expected one of " + String.join(", ", TYPES.keySet())
              + (t.startsWith("secret") ? " (secrets are not served: no SDS)" : ""));
        }
        if (!asked.contains(name)) {
          asked.add(name);
        }
      }
    }
    List<String> ordered = new ArrayList<>(TYPES.values());
    ordered.retainAll(asked);
    return ordered;
  }

  /** The config dump of {@code sent} restricted to {@code types}, as Envoy prints it. */
  static String json(Map<String, SentType> sent, List<String> types)
      throws InvalidProtocolBufferException {
    ConfigDump.Builder dump = ConfigDump.newBuilder();
    for (String type : types) {
      SentType s = sent.get(type);
      if (s != null) {
        dump.addConfigs(Any.pack(entry(s)));
      }
    }
    return PRINTER.print(dump) + "\n";
  }

  private static Message entry(SentType s) throws InvalidProtocolBufferException {
    Timestamp at = timestamp(s.at());
    String v = s.version();
    switch (s.type()) {
      case "clusters" -> {
        ClustersConfigDump.Builder b = ClustersConfigDump.newBuilder().setVersionInfo(v);
        for (Any r : s.resources()) {
          b.addDynamicActiveClusters(ClustersConfigDump.DynamicCluster.newBuilder()
              .setVersionInfo(v).setCluster(r).setLastUpdated(at));
        }
        return b.build();
      }
      case "endpoints" -> {
        EndpointsConfigDump.Builder b = EndpointsConfigDump.newBuilder();
        for (Any r : s.resources()) {
          b.addDynamicEndpointConfigs(EndpointsConfigDump.DynamicEndpointConfig.newBuilder()
              .setVersionInfo(v).setEndpointConfig(r).setLastUpdated(at));
        }
        return b.build();
      }
      case "listeners" -> {
        ListenersConfigDump.Builder b = ListenersConfigDump.newBuilder().setVersionInfo(v);
        for (Any r : s.resources()) {
          b.addDynamicListeners(ListenersConfigDump.DynamicListener.newBuilder()
              .setName(Listener.parseFrom(r.getValue()).getName())
              .setActiveState(ListenersConfigDump.DynamicListenerState.newBuilder()
                  .setVersionInfo(v).setListener(r).setLastUpdated(at)));
        }
        return b.build();
      }
      case "routes" -> {
        RoutesConfigDump.Builder b = RoutesConfigDump.newBuilder();
        for (Any r : s.resources()) {
          b.addDynamicRouteConfigs(RoutesConfigDump.DynamicRouteConfig.newBuilder()
              .setVersionInfo(v).setRouteConfig(r).setLastUpdated(at));
        }
        return b.build();
      }
      default -> throw new IllegalArgumentException("no config dump type for " + s.type());
    }
  }

  private static Timestamp timestamp(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}
