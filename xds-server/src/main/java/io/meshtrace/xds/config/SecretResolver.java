package io.meshtrace.xds.config;

import java.nio.file.Path;

/**
 * Turns a {@link SecretRef} into its value when a config is read. {@link LocalSecrets} reads
 * environment variables and files; the Kubernetes source adds Secrets
 * ({@code io.meshtrace.xds.kubernetes.KubernetesSecrets}).
 *
 * <p>Failures are {@link Unresolved} with a reason that names the reference, never a value; the
 * parser reports them as config problems of the field that holds the reference.
 */
public interface SecretResolver {

  /** The value of environment variable {@code name}. */
  String env(String name) throws Unresolved;

  /** The content of {@code file} (already resolved against the config's directory). */
  String file(Path file) throws Unresolved;

  /** The value under {@code key} of the Secret {@code name}. */
  String secret(String name, String key) throws Unresolved;

  /** A reference that has no value: the variable is not set, the file or key is missing. */
  final class Unresolved extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param reason what is missing, naming the reference and never a value */
    public Unresolved(String reason) {
      super(reason, null, false, false);
    }
  }
}
