package io.meshtrace.xds.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the references of a served config ({@code envName}, {@code file},
 * {@code secretKeyRef}) now resolve to other values than the ones served: a rotated token file
 * or Secret. Only the references are looked up, not the whole config parsed again; when one
 * changed (or no longer resolves), the caller applies the config again, which reports a
 * problem and keeps the last good state if a reference broke.
 */
public final class SecretRefresh {

  private SecretRefresh() {}

  /** True when a reference of {@code config} resolves differently now (or not at all). */
  public static boolean changed(MeshConfig config, Path baseDir, SecretResolver secrets) {
    for (Resolved r : references(config)) {
      String now;
      try {
        now = lookup(r.ref(), baseDir, secrets);
      } catch (SecretResolver.Unresolved | InvalidPathException e) {
        return true;
      }
      if (!now.equals(r.value())) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code config} holds any reference (only then is there something to refresh). */
  public static boolean hasReferences(MeshConfig config) {
    return !references(config).isEmpty();
  }

  private record Resolved(SecretRef ref, String value) {}

  private static List<Resolved> references(MeshConfig config) {
    List<Resolved> out = new ArrayList<>();
    for (MeshConfig.Provider p : config.providers()) {
      for (Header h : Header.sentBy(p)) {
        if (h.source().external()) {
          out.add(new Resolved(h.source(), h.value()));
        }
      }
      if (p instanceof MeshConfig.SkyWalking s && s.accessTokenSource().external()) {
        out.add(new Resolved(s.accessTokenSource(), s.accessToken()));
      }
    }
    return out;
  }

  private static String lookup(SecretRef ref, Path baseDir, SecretResolver secrets)
      throws SecretResolver.Unresolved {
    return switch (ref.kind()) {
      case ENV -> secrets.env(ref.name());
      case FILE -> secrets.file(baseDir == null ? Path.of(ref.name())
          : baseDir.resolve(ref.name()));
      case SECRET -> secrets.secret(ref.name(), ref.key());
      case LITERAL -> throw new IllegalArgumentException("a literal is not a reference");
    };
  }
}
