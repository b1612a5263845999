package io.meshtrace.admin;

import java.net.URI;
import java.util.Locale;

/**
 * Refuses requests a browser sent on behalf of another site, for the admin routes that change
 * or reach out (writes, checks that fetch a URL).
 *
 * <p>The admin token travels in {@code Authorization: Bearer}, which a browser never adds by
 * itself and which another site's page can only set through a CORS preflight that the admin
 * server never answers with {@code Access-Control-Allow-*}: without cookies there is no ambient
 * credential to ride on, so classic CSRF has nothing to use. This check is the second wall, for
 * set-ups that put a credential in front of the admin port (an authenticating proxy, a browser
 * that remembers basic auth): a request whose {@code Origin} is not this server, or that
 * {@code Sec-Fetch-Site} marks as coming from another site, is refused with 403. Clients other
 * than browsers (curl, scripts, probes) send neither header and pass.
 *
 * <pre>
 * Origin: http://127.0.0.1:18001   Host: 127.0.0.1:18001   passes
 * Origin: https://evil.example     Host: 127.0.0.1:18001   403
 * Sec-Fetch-Site: cross-site                               403
 * </pre>
 */
public final class CrossSiteCheck {

  private CrossSiteCheck() {}

  /** Null when {@code request} may go on, else the 403 answer naming why. */
  public static AdminResponse refusal(AdminRequest request) {
    String fetchSite = request.header("Sec-Fetch-Site");
    if (fetchSite != null) {
      String site = fetchSite.trim().toLowerCase(Locale.ROOT);
      if (site.equals("cross-site") || site.equals("same-site")) {
        return refused("Sec-Fetch-Site=" + bounded(fetchSite)
            + ": expected same-origin or none (a page of this server, or a non-browser client)");
      }
    }
    String origin = request.header("Origin");
    if (origin == null) {
      return null;
    }
    String host = request.header("Host");
    String originHost = hostPort(origin);
    if (host == null || originHost == null
        || !originHost.equalsIgnoreCase(host.trim())) {
      return refused("Origin=" + bounded(origin) + ": expected this server's own origin (Host "
          + bounded(host == null ? "(missing)" : host) + ")");
    }
    return null;
  }

  /** {@code host[:port]} of an origin as it appears in a Host header, or null. */
  private static String hostPort(String origin) {
    try {
      URI uri = URI.create(origin.trim());
      if (uri.getHost() == null) {
        return null;
      }
      String host = uri.getHost();
      return uri.getPort() < 0 ? host : host + ":" + uri.getPort();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static AdminResponse refused(String why) {
    return AdminResponse.json(403, "{\"error\": " + jsonString("cross-site request refused: "
        + why) + "}\n");
  }

  private static String bounded(String s) {
    return s.length() <= 100 ? s : s.substring(0, 100) + "...";
  }

  /** A JSON string literal of {@code s}; the admin module has no JSON library. */
  private static String jsonString(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
