package io.meshtrace.xds.config;

import io.meshtrace.xds.config.MeshConfig.Gateway;
import io.meshtrace.xds.config.MeshConfig.GatewayRoute;
import io.meshtrace.xds.config.MeshConfig.Port;
import io.meshtrace.xds.config.MeshConfig.Propagation;
import io.meshtrace.xds.config.MeshConfig.Provider;
import io.meshtrace.xds.config.MeshConfig.Service;
import io.meshtrace.xds.config.MeshConfig.TracingRule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The pass after every section is read: names one section uses must be defined in another, and
 * the choices must fit what Envoy can do (a tracing rule needs a provider; the provider must
 * carry the mesh's propagation format). Checks within one value stay with its reader.
 */
final class CrossChecks {

  private CrossChecks() {}

  /** Reports every provider and service name in {@code refs} that nothing defines. */
  static void references(References refs, Set<String> providers, List<Service> services,
      Problems problems) {
    Set<String> serviceNames = new HashSet<>();
    services.forEach(s -> serviceNames.add(s.name()));
    for (References.Ref r : refs.providers()) {
      if (!providers.contains(r.name())) {
        problems.error(r.path(), r.name(), "unknown provider; defined: "
            + ConfigTree.listed(providers));
      }
    }
    for (References.Ref r : refs.services()) {
      if (!serviceNames.contains(r.name())) {
        problems.error(r.path(), r.name(), "unknown service; defined: "
            + ConfigTree.listed(serviceNames));
      }
    }
  }

  /**
   * Tracing rules need a provider, and the providers in use must carry the mesh's format:
   * Envoy v1.34's Zipkin tracer reads and writes only B3, its OpenTelemetry tracer only W3C
   * traceparent, so a provider that cannot breaks every trace at the proxy. An explicit
   * {@code propagation} that does not fit is an error, one that follows {@code meshVersion} a
   * warning. Providers that no rule uses are not checked.
   */
  static void tracing(TracingReader.Result tracing, List<Provider> providers,
      Problems problems) {
    Set<String> used = new HashSet<>(tracing.defaultProviders());
    for (TracingRule r : tracing.rules()) {
      if (r.provider() != null) {
        used.add(r.provider());
      }
    }
    if (!tracing.rules().isEmpty() && used.isEmpty()) {
      problems.error("tracing", "(no provider)",
          "name a provider in defaultProviders.tracing or tracing[].providers");
    }
    Propagation propagation = tracing.propagation();
    for (Provider p : providers) {
      if (!used.contains(p.name())) {
        continue;
      }
      String problem = null;
      if (p instanceof MeshConfig.Zipkin && propagation == Propagation.W3C) {
        problem = "Envoy's zipkin tracer propagates only b3; use an opentelemetry provider for w3c";
      } else if ((p instanceof MeshConfig.OpenTelemetryGrpc
          || p instanceof MeshConfig.OpenTelemetryHttp) && propagation == Propagation.B3) {
        problem = "Envoy's opentelemetry tracer propagates only w3c; use a zipkin provider for b3";
      }
      if (problem != null && tracing.propagationExplicit()) {
        problems.error("propagation", propagation.configName(), problem + " (" + p.path() + ")");
      } else if (problem != null) {
        problems.warn("propagation=" + propagation.configName() + " (from meshVersion): "
            + problem + " (" + p.path() + ")");
      }
    }
  }

  /**
   * The gateway with its routes resolved to service ports: a route without {@code port} goes
   * to the service's first; without routes everything goes to the first service's first port
   * (productpage in Bookinfo). Routes to unknown services are left out (reported by
   * {@link #references}).
   */
  static Gateway gateway(GatewayReader.Draft draft, List<Service> services,
      Problems problems) {
    List<GatewayRoute> routes = new ArrayList<>();
    if (draft.routes() == null) {
      if (!services.isEmpty() && !services.get(0).ports().isEmpty()) {
        Service first = services.get(0);
        routes.add(new GatewayRoute("gateway.routes", GatewayRoute.DEFAULT_PREFIX,
            first.name(), first.ports().get(0).number()));
      }
      return withRoutes(draft, routes);
    }
    for (GatewayReader.RouteDraft r : draft.routes()) {
      Service svc = null;
      for (Service s : services) {
        svc = s.name().equals(r.service()) ? s : svc;
      }
      if (svc == null || svc.ports().isEmpty()) {
        continue;
      }
      List<Integer> numbers = new ArrayList<>();
      for (Port p : svc.ports()) {
        numbers.add(p.number());
      }
      if (r.port() != null && !numbers.contains(r.port())) {
        problems.error(r.path() + ".port", r.port().toString(),
            "not a port of " + svc.name() + "; its ports: " + numbers);
        continue;
      }
      routes.add(new GatewayRoute(r.path(), r.prefix(), svc.name(),
          r.port() == null ? numbers.get(0) : r.port()));
    }
    return withRoutes(draft, routes);
  }

  private static Gateway withRoutes(GatewayReader.Draft d, List<GatewayRoute> routes) {
    return new Gateway(d.address(), d.port(), d.hosts(), List.copyOf(routes), d.headerRepair());
  }
}
