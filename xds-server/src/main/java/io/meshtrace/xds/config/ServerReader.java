package io.meshtrace.xds.config;

import io.meshtrace.xds.config.MeshConfig.Server;
import io.meshtrace.xds.config.MeshConfig.Tls;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads {@code server}: this control plane's ADS and admin addresses and ports, TLS of the ADS
 * port, the admin token files (write, read-only) and the limits of one xDS client
 * ({@link AdsLimits}). These take effect at start only.
 */
final class ServerReader {

  private static final String ADDRESS = "must be an IP address or host name";

  private ServerReader() {}

  static Server read(ConfigTree section) {
    Server d = Server.DEFAULT;
    String adsAddress = d.adsAddress();
    int adsPort = d.adsPort();
    String adminAddress = d.adminAddress();
    int adminPort = d.adminPort();
    Tls tls = d.tls();
    Path token = d.adminTokenFile();
    Path readToken = d.adminReadTokenFile();
    AdsLimits limits = d.limits();
    ConfigTree o = section.node() == null ? null
        : section.mapping(Set.of("ads", "admin", "limits"));
    if (o != null && o.has("ads")) {
      ConfigTree a = o.at("ads").mapping(Set.of("address", "port", "tls"));
      if (a != null) {
        String address = a.host("address", false, ADDRESS);
        adsAddress = address == null ? adsAddress : address;
        Integer p = a.portOrZero("port");
        adsPort = p == null ? adsPort : p;
        if (a.has("tls")) {
          tls = tls(a.at("tls"));
        }
      }
    }
    if (o != null && o.has("admin")) {
      ConfigTree a = o.at("admin").mapping(Set.of("address", "port", "tokenFile",
          "readTokenFile"));
      if (a != null) {
        String address = a.host("address", false, ADDRESS);
        adminAddress = address == null ? adminAddress : address;
        Integer p = a.portOrZero("port");
        adminPort = p == null ? adminPort : p;
        token = a.file("tokenFile", false);
        readToken = a.file("readTokenFile", false);
      }
    }
    if (o != null && o.has("limits")) {
      limits = limits(o.at("limits"), limits);
    }
    return new Server(adsAddress, adsPort, adminAddress, adminPort, tls, token, readToken,
        limits);
  }

  /** {@code server.limits}: each key left out keeps its default; every value at least 1. */
  private static AdsLimits limits(ConfigTree node, AdsLimits d) {
    ConfigTree o = node.mapping(Set.of("maxUnconfiguredGroups", "maxNodeIdLength",
        "maxNodeClusterLength", "maxNodeBytes"));
    if (o == null) {
      return d;
    }
    Integer groups = o.integer("maxUnconfiguredGroups", false, 1, Integer.MAX_VALUE);
    Integer id = o.integer("maxNodeIdLength", false, 1, Integer.MAX_VALUE);
    Integer cluster = o.integer("maxNodeClusterLength", false, 1, Integer.MAX_VALUE);
    Integer bytes = o.integer("maxNodeBytes", false, 1, Integer.MAX_VALUE);
    return new AdsLimits(groups != null ? groups : d.maxUnconfiguredGroups(),
        id != null ? id : d.maxNodeIdLength(),
        cluster != null ? cluster : d.maxNodeClusterLength(),
        bytes != null ? bytes : d.maxNodeBytes());
  }

  private static Tls tls(ConfigTree node) {
    ConfigTree o = node.mapping(Set.of("certChain", "privateKey", "keyStore",
        "keyStorePassword", "clientCa", "requireClientCert"));
    if (o == null) {
      return null;
    }
    Path chain = o.file("certChain", false);
    Path key = o.file("privateKey", false);
    Path store = o.file("keyStore", false);
    String password = o.string("keyStorePassword", false);
    Path ca = o.file("clientCa", false);
    Boolean require = o.bool("requireClientCert");
    boolean pem = o.has("certChain") || o.has("privateKey");
    if (pem == o.has("keyStore")) {
      o.error(o.keys().toString(), "set either certChain+privateKey or keyStore");
    } else if (pem && (!o.has("certChain") || !o.has("privateKey"))) {
      o.error(o.keys().toString(), "certChain and privateKey go together");
    }
    if (Boolean.TRUE.equals(require) && !o.has("clientCa")) {
      o.error("requireClientCert", "true", "needs clientCa to check client certificates");
    }
    return new Tls(chain, key, store, password == null ? "" : password, ca,
        Boolean.TRUE.equals(require));
  }
}
