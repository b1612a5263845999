package io.meshtrace.sdk;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;

/**
 * The resource attributes a mesh groups spans by. With {@code meshtrace.service.namespace=bookinfo}:
 * {@code service.namespace=bookinfo}, {@code k8s.namespace.name=bookinfo} (unless
 * {@code otel.resource.attributes} names them: OpenTelemetry's key wins), and
 * {@code service.name} reported as {@code productpage.bookinfo}, the way Istio's sidecars name
 * the workload in Zipkin, so the application's spans group with its sidecar's
 * ({@code meshtrace.service.qualify=false} keeps the plain name).
 */
public final class MeshResource {

  public static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  public static final AttributeKey<String> SERVICE_NAMESPACE = AttributeKey.stringKey("service.namespace");
  public static final AttributeKey<String> K8S_NAMESPACE = AttributeKey.stringKey("k8s.namespace.name");

  private MeshResource() {}

  /** {@code service.namespace} and {@code k8s.namespace.name} set to {@code namespace}; none when null. */
  public static Resource namespace(String namespace) {
    if (namespace == null) {
      return Resource.empty();
    }
    return Resource.create(Attributes.of(SERVICE_NAMESPACE, namespace, K8S_NAMESPACE, namespace));
  }

  /**
   * {@code resource} with {@code service.name} qualified by its {@code service.namespace}, when
   * {@code meshNamespace} ({@code meshtrace.service.namespace}) is set and {@code qualify} is
   * on; a name that already ends in {@code .namespace} stays as it is.
   */
  public static Resource qualify(Resource resource, String meshNamespace, boolean qualify) {
    if (meshNamespace == null || !qualify) {
      return resource;
    }
    String name = resource.getAttribute(SERVICE_NAME);
    String namespace = resource.getAttribute(SERVICE_NAMESPACE);
    if (namespace == null) {
      namespace = meshNamespace;
    }
    if (name == null || name.endsWith("." + namespace)) {
      return resource;
    }
    return resource.merge(Resource.create(Attributes.of(SERVICE_NAME, name + "." + namespace)));
  }
}
