package io.meshtrace.admin;

import java.io.IOException;
import java.util.Collections;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * One path of an {@link AdminServer}: the exact path, the methods it answers ({@code HEAD} comes
 * with {@code GET}), the largest request body it takes, and its handler.
 *
 * <pre>{@code
 * Route.get("/proxies", request -> AdminResponse.json(200, registry.toJson()))
 * Route.of("/config/tracing", Set.of("GET", "PUT"), 1 << 20, this::tracing)
 * Route.get("/proxies/*", request -> config(request.path()))   // /proxies/{node}/config
 * }</pre>
 *
 * <p>A path ending in {@code /*} matches every path below it that no exact route takes; the
 * handler reads {@link AdminRequest#path()}.
 *
 * @param maxBodyBytes longest body accepted (a longer one gets 413 before the handler runs);
 *     0 for routes that take none
 */
public record Route(String path, Set<String> methods, int maxBodyBytes, Handler handler,
    Access access) {

  /** Which admin token a request needs ({@link AdminTokens}). */
  public enum Access {
    /** None: content that holds no data of the service (the console's page and scripts). */
    OPEN,
    /** A read token whatever the method: a POST that changes nothing (a dry-run check). */
    READ,
    /** By method: {@code GET} and {@code HEAD} a read token, everything else the write token. */
    BY_METHOD
  }

  /** Answers one request; runs on an admin thread and may block briefly (file writes). */
  @FunctionalInterface
  public interface Handler {
    AdminResponse handle(AdminRequest request) throws IOException;
  }

  public Route {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("route path must start with /: " + path);
    }
    if (maxBodyBytes < 0) {
      throw new IllegalArgumentException("maxBodyBytes must be >= 0: " + maxBodyBytes);
    }
    Set<String> upper = new TreeSet<>();
    for (String m : methods) {
      upper.add(m.toUpperCase(Locale.ROOT));
    }
    if (upper.contains("GET")) {
      upper.add("HEAD");
    }
    if (upper.isEmpty()) {
      throw new IllegalArgumentException("route " + path + " answers no method");
    }
    methods = Collections.unmodifiableSet(upper);
    if (access == null) {
      access = Access.BY_METHOD;
    }
  }

  /** A route whose token is chosen by method ({@link Access#BY_METHOD}). */
  public Route(String path, Set<String> methods, int maxBodyBytes, Handler handler) {
    this(path, methods, maxBodyBytes, handler, Access.BY_METHOD);
  }

  /** The same route asking for {@code access} instead. */
  public Route withAccess(Access access) {
    return new Route(path, methods, maxBodyBytes, handler, access);
  }

  /** A route answering {@code GET} and {@code HEAD} only. */
  public static Route get(String path, Handler handler) {
    return new Route(path, Set.of("GET"), 0, handler);
  }

  /** A route answering {@code methods}, taking bodies up to {@code maxBodyBytes}. */
  public static Route of(String path, Set<String> methods, int maxBodyBytes, Handler handler) {
    return new Route(path, methods, maxBodyBytes, handler);
  }

  /** True when this is a {@code /prefix/*} route and {@code path} is below its prefix. */
  boolean under(String path) {
    int prefix = this.path.length() - 1;
    return this.path.endsWith("/*") && path.length() > prefix
        && path.regionMatches(0, this.path, 0, prefix);
  }

  /** The {@code Allow} header value, methods in alphabetical order: {@code GET, HEAD, PUT}. */
  String allow() {
    return String.join(", ", methods);
  }
}
