package io.meshtrace.xds.admin;

import io.meshtrace.admin.AdminResponse;
import io.meshtrace.admin.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The web console's files, read from the jar ({@code io/meshtrace/xds/console/}) once at start
 * and served as they are: plain HTML, CSS and JavaScript modules, nothing fetched from
 * elsewhere.
 *
 * <pre>
 * GET /                      index.html
 * GET /console/app.js        the modules, one route each (the admin server matches exact paths)
 * GET /console/console.css
 * </pre>
 *
 * <p>Every answer carries a Content-Security-Policy that allows only this origin's own files
 * ({@code default-src 'self'}, no inline script, no framing), so an injected string in the
 * config or a proxy's NACK message cannot run as script even if a page showed it as HTML.
 */
final class ConsoleAssets {

  /** The files, as named under {@code /console/}. */
  static final List<String> FILES = List.of("console.css", "app.js", "api.js", "dom.js",
      "overview.js", "provider.js", "sampling.js", "proxies.js", "explain.js", "breaks.js");

  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self';"
      + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none';"
      + " form-action 'self'; frame-ancestors 'none'";

  private ConsoleAssets() {}

  /** One route per file, and {@code /} for the page. */
  static List<Route> routes() {
    List<Route> out = new ArrayList<>();
    AdminResponse page = asset("index.html");
    // The page and its scripts hold no data: they load before the sign-in, whose token then
    // goes with every call the scripts make.
    out.add(Route.get("/", r -> page).withAccess(Route.Access.OPEN));
    for (String f : FILES) {
      AdminResponse a = asset(f);
      out.add(Route.get("/console/" + f, r -> a).withAccess(Route.Access.OPEN));
    }
    return out;
  }

  private static AdminResponse asset(String name) {
    byte[] body;
    try (InputStream in = ConsoleAssets.class.getResourceAsStream("/io/meshtrace/xds/console/"
        + name)) {
      if (in == null) {
        throw new IllegalStateException("console asset missing from the jar: " + name);
      }
      body = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read console asset " + name, e);
    }
    String type = name.endsWith(".html") ? "text/html; charset=utf-8"
        : name.endsWith(".css") ? "text/css; charset=utf-8"
        : "text/javascript; charset=utf-8";
    return AdminResponse.of(200, type, body)
        .withHeader("Content-Security-Policy", CSP)
        .withHeader("X-Frame-Options", "DENY")
        .withHeader("Referrer-Policy", "no-referrer");
  }
}
