package io.meshtrace.xds.kubernetes;

/**
 * The {@code MeshTracing} could not be read at start (API server unreachable, CRD missing,
 * forbidden), with the API server's answer in the message.
 */
public final class KubernetesUnreachableException extends Exception {
  private static final long serialVersionUID = 1L;

  public KubernetesUnreachableException(String message) {
    super(message);
  }
}
