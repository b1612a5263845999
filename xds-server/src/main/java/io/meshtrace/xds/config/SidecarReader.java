package io.meshtrace.xds.config;

import io.meshtrace.xds.config.MeshConfig.Sidecar;
import java.util.Set;

/** Reads {@code sidecar}: the ports of the sidecars' catch-all listeners. */
final class SidecarReader {

  private SidecarReader() {}

  static Sidecar read(ConfigTree section) {
    Sidecar d = Sidecar.DEFAULT;
    ConfigTree o = section.node() == null ? null
        : section.mapping(Set.of("inboundPort", "outboundPort"));
    if (o == null) {
      return d;
    }
    Integer in = o.port("inboundPort", false);
    Integer out = o.port("outboundPort", false);
    Sidecar s = new Sidecar(in == null ? d.inboundPort() : in,
        out == null ? d.outboundPort() : out);
    if (s.inboundPort() == s.outboundPort()) {
      o.error("outboundPort", Integer.toString(s.outboundPort()), "must differ from inboundPort");
    }
    return s;
  }
}
