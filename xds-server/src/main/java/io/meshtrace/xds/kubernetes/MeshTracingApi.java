package io.meshtrace.xds.kubernetes;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The names of the {@code MeshTracing} custom resource: one namespaced object whose
 * {@code spec} is the mesh document and whose {@code status} says whether xds-server serves it.
 *
 * <pre>
 * apiVersion: meshtrace.io/v1alpha1
 * kind: MeshTracing
 * metadata: {namespace: meshtrace, name: bookinfo}
 * spec: {defaultProviders: {tracing: [otel]}, extensionProviders: [...], services: [...]}
 * status:
 *   observedGeneration: 3
 *   servedVersion: 5d0c2a9e41b7f380
 *   conditions: [{type: Accepted, status: "True", reason: Accepted, message: ..., ...}]
 * </pre>
 */
public final class MeshTracingApi {
  /** API group. */
  public static final String GROUP = "meshtrace.io";
  /** The one served and stored version. */
  public static final String VERSION = "v1alpha1";
  /** {@code apiVersion} of the objects. */
  public static final String API_VERSION = GROUP + "/" + VERSION;
  /** Kind. */
  public static final String KIND = "MeshTracing";
  /** Resource name in URLs and RBAC rules. */
  public static final String PLURAL = "meshtracings";
  /** Singular name ({@code kubectl get meshtracing}). */
  public static final String SINGULAR = "meshtracing";
  /** Short name ({@code kubectl get mt}). */
  public static final String SHORT_NAME = "mt";
  /** Name of the CustomResourceDefinition. */
  public static final String CRD_NAME = PLURAL + "." + GROUP;
  /** Type of the one condition xds-server writes. */
  public static final String CONDITION_ACCEPTED = "Accepted";

  private static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
      .withGroup(GROUP)
      .withVersion(VERSION)
      .withKind(KIND)
      .withPlural(PLURAL)
      .withNamespaced(true)
      .build();

  private MeshTracingApi() {}

  /** What fabric8's generic client needs to address the resource. */
  public static ResourceDefinitionContext context() {
    return CONTEXT;
  }
}
