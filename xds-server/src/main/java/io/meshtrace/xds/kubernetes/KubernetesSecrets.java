package io.meshtrace.xds.kubernetes;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshtrace.xds.config.LocalSecrets;
import io.meshtrace.xds.config.SecretResolver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * Resolves {@code secretKeyRef: {name, key}} by reading the Secret from the Kubernetes API, in
 * the namespace of the served {@code MeshTracing} (as a Pod's {@code secretKeyRef} reads from its
 * own namespace); {@code envName} and {@code file} go to {@link LocalSecrets}. Each resolution
 * is one GET, made when a config is applied and when its references are checked for rotation.
 * It needs RBAC {@code get} on {@code secrets} in that namespace.
 */
public final class KubernetesSecrets implements SecretResolver {

  private final KubernetesClient client;
  private final String namespace;
  private final SecretResolver local;

  /**
   * @param namespace where the referenced Secrets live (the MeshTracing's namespace)
   * @param local resolver of {@code envName} and {@code file}
   */
  public KubernetesSecrets(KubernetesClient client, String namespace, SecretResolver local) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.local = Objects.requireNonNull(local, "local");
  }

  @Override
  public String env(String name) throws Unresolved {
    return local.env(name);
  }

  @Override
  public String file(Path file) throws Unresolved {
    return local.file(file);
  }

  @Override
  public String secret(String name, String key) throws Unresolved {
    String at = "Secret " + namespace + "/" + name;
    Secret secret;
    try {
      secret = client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      // The status code and reason only: the API server's message is not ours to pass on.
      throw new Unresolved("cannot read " + at + " (HTTP " + e.getCode() + ")");
    }
    if (secret == null) {
      throw new Unresolved(at + " not found");
    }
    Map<String, String> data = secret.getData();
    if (data != null && data.get(key) != null) {
      try {
        return new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new Unresolved(at + " key " + key + " is not base64");
      }
    }
    Map<String, String> text = secret.getStringData();
    if (text != null && text.get(key) != null) {
      return text.get(key);
    }
    throw new Unresolved(at + " has no key " + key);
  }
}
