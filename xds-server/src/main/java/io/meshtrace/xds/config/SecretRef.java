package io.meshtrace.xds.config;

import java.util.Objects;

/**
 * Where a value that may be secret (a collector header, gRPC metadata, an access token) comes
 * from: written in the file, or a reference to an environment variable, a file or a Kubernetes
 * Secret. Only the reference is ever shown (admin API, problems, logs); the value it resolves to
 * goes to Envoy.
 *
 * <pre>
 * {name: x-tenant, value: blue}                                   literal
 * {name: authorization, envName: OTLP_TOKEN}                      Istio's HttpHeader.env_name
 * {name: authorization, file: /var/run/secrets/otlp/token}        file (relative: to the config)
 * {name: authorization, secretKeyRef: {name: otlp, key: token}}   Secret in the source's namespace
 * </pre>
 *
 * @param kind the kind of source
 * @param name the variable name, the file path as written, or the Secret's name; null for a
 *     literal
 * @param key the Secret's key; null for other kinds
 */
public record SecretRef(Kind kind, String name, String key) {

  /** The kinds of source, with the key each is written under. */
  public enum Kind {
    /** Written in the file itself. */
    LITERAL("value"),
    /** An environment variable of the xds-server process. */
    ENV("envName"),
    /** A file (its content, without trailing line breaks). */
    FILE("file"),
    /** A key of a Kubernetes Secret (needs the Kubernetes source). */
    SECRET("secretKeyRef");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    /** The key this source is written under: {@code envName}, {@code file}, ... */
    public String key() {
      return key;
    }
  }

  /** A value written in the file. */
  public static final SecretRef LITERAL = new SecretRef(Kind.LITERAL, null, null);

  public SecretRef {
    Objects.requireNonNull(kind, "kind");
    if (kind != Kind.LITERAL) {
      Objects.requireNonNull(name, "name");
    }
    if (kind == Kind.SECRET) {
      Objects.requireNonNull(key, "key");
    }
  }

  /** An environment variable. */
  public static SecretRef env(String name) {
    return new SecretRef(Kind.ENV, name, null);
  }

  /** A file, the path as written. */
  public static SecretRef file(String path) {
    return new SecretRef(Kind.FILE, path, null);
  }

  /** A key of a Secret. */
  public static SecretRef secret(String name, String key) {
    return new SecretRef(Kind.SECRET, name, key);
  }

  /** Whether the value comes from outside the config (an environment variable, file, Secret). */
  public boolean external() {
    return kind != Kind.LITERAL;
  }

  /**
   * The reference as written, fit to show: {@code envName: OTLP_TOKEN}, {@code file: token},
   * {@code secretKeyRef: {name: otlp, key: token}}; {@code value} for a literal.
   */
  @Override
  public String toString() {
    return switch (kind) {
      case LITERAL -> "value";
      case ENV, FILE -> kind.key + ": " + ValueSyntax.shorten(name, 120);
      case SECRET -> kind.key + ": {name: " + ValueSyntax.shorten(name, 120) + ", key: "
          + ValueSyntax.shorten(key, 120) + "}";
    };
  }
}
