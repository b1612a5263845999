package io.meshtrace.xds.snapshot;

import static io.meshtrace.xds.snapshot.GatewaySnapshotTest.unpack;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.DatadogConfig;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.resource_detectors.v3.EnvironmentResourceDetectorConfig;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.samplers.v3.DynatraceSamplerConfig;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tracing examples of Istio's documentation, pasted unchanged: the {@code meshConfig} block
 * of an IstioOperator (what sits under its {@code spec}, moved to the top level as the istiod
 * Helm chart's values write it) and {@code Telemetry} resources as list items of
 * {@code telemetry}. Each served row's Envoy config is read from the built snapshots; each
 * refused row names the field and the reason.
 *
 * <p>Sources: istio.io tasks observability/distributed-tracing (opentelemetry, telemetry-api,
 * gateway-api, skywalking), and the examples in istio/api's mesh/v1alpha1/config.proto and
 * telemetry/v1alpha1/telemetry.proto.
 */
class IstioExamplesTest {

  /** The mesh the examples run against: Bookinfo in namespace default, foo in bar. */
  private static final String SERVICES = """
      services:
        - name: productpage
          hosts: [productpage.default.svc.cluster.local]
          ports: [{name: http, number: 9080}]
          endpoints: [{address: 10.0.0.10}]
        - name: reviews
          hosts: [reviews.default.svc.cluster.local]
          ports: [{name: http, number: 9080}]
          endpoints: [{address: 10.0.0.30}]
        - name: foo
          hosts: [foo.bar.svc.cluster.local]
          ports: [{name: http, number: 8000}]
          endpoints: [{address: 10.0.1.10}]
      """;

  // ------------------------------------------------------------ istio.io: OpenTelemetry task

  private static final String OTEL_GRPC = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          extensionProviders:
          - name: otel-tracing
            opentelemetry:
              port: 4317
              service: opentelemetry-collector.otel-collector.svc.cluster.local
      """;

  private static final String OTEL_HTTP = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          extensionProviders:
          - name: otel-tracing
            opentelemetry:
              port: 4318
              service: opentelemetry-collector.otel-collector.svc.cluster.local
              http:
                path: "v1/traces"
                timeout: 10s
                headers:
                - name: "my-custom-header"
                  value: "some-value"
      """;

  private static final String OTEL_DEMO = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
        name: otel-demo
        namespace: istio-system
      spec:
        tracing:
        - providers:
          - name: otel-tracing
          randomSamplingPercentage: 100
          customTags:
            "my-attribute":
              literal:
                value: "default-value"
      """;

  // ------------------------------------------------------------ istio.io: Telemetry API task

  private static final String ZIPKIN_INSTALL = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          enableTracing: true
          defaultConfig:
            tracing: {} # disabled MeshConfig tracing options
          extensionProviders:
          # add zipkin provider
          - name: zipkin
            zipkin:
              service: zipkin.istio-system.svc.cluster.local
              port: 9411
      """;

  private static final String MESH_ZIPKIN = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        tracing:
          - providers:
              - name: "zipkin"
      """;

  private static final String MESH_ZIPKIN_100 = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        tracing:
          - providers:
              - name: "zipkin"
            randomSamplingPercentage: 100.00
      """;

  /** As printed on istio.io: the indentation of metadata and spec is lost. */
  private static final String LITERAL_TAG_AS_PRINTED = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
      name: mesh-default
      namespace: istio-system
      spec:
      tracing:
          - providers:
              - name: "zipkin"
          randomSamplingPercentage: 100.00
          customTags:
            "provider":
              literal:
                value: "zipkin"
      """;

  private static final String ENVIRONMENT_TAG = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        tracing:
          - providers:
              - name: "zipkin"
            randomSamplingPercentage: 100.00
            customTags:
              "cluster_id":
                environment:
                  name: ISTIO_META_CLUSTER_ID
                  defaultValue: Kubernetes # optional
      """;

  /** With the page's placeholders. */
  private static final String HEADER_TAG_PLACEHOLDERS = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        tracing:
          - providers:
              - name: "zipkin"
            randomSamplingPercentage: 100.00
            customTags:
              my_tag_header:
                header:
                  name: <CLIENT-HEADER>
                  defaultValue: <VALUE>      # optional
      """;

  /** The gateway-api task's copy, which writes {@code custom_tags}. */
  private static final String HEADER_TAG_SNAKE_CASE = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        tracing:
          - providers:
              - name: "zipkin"
            randomSamplingPercentage: 100.00
            custom_tags:
              my_tag_header:
                header:
                  name: <CLIENT-HEADER>
                  defaultValue: <VALUE>      # optional
      """;

  private static final String ZIPKIN_MAX_TAG_PLACEHOLDER = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          enableTracing: true
          defaultConfig:
            tracing: {} # disabled tracing options via `MeshConfig`
          extensionProviders:
          # add zipkin provider
          - name: zipkin
            zipkin:
              service: zipkin.istio-system.svc.cluster.local
              port: 9411
              maxTagLength: <VALUE>
      """;

  // ------------------------------------------------------------ istio.io: SkyWalking task

  private static final String SKYWALKING_INSTALL = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          defaultProviders:
            tracing:
            - "skywalking"
          enableTracing: true
          extensionProviders:
          - name: "skywalking"
            skywalking:
              service: tracing.istio-system.svc.cluster.local
              port: 11800
      """;

  private static final String MESH_100 = """
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        tracing:
        - randomSamplingPercentage: 100.00
      """;

  // ------------------------------------------------------------ istio/api telemetry.proto

  private static final String MESH_10 = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        # no selector specified, applies to all workloads
        tracing:
        - randomSamplingPercentage: 10.00
      """;

  private static final String FOO_NO_SPANS = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: foo-tracing
        namespace: bar
      spec:
        selector:
          matchLabels:
            service.istio.io/canonical-name: foo
        tracing:
        - disableSpanReporting: true
      """;

  private static final String MESH_CLIENT_ZIPKIN = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        # no selector specified, applies to all workloads
        tracing:
        - match:
            mode: CLIENT
          providers:
          - name: "zipkin"
      """;

  private static final String MESH_LITERAL_TAG = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        # no selector specified, applies to all workloads
        tracing:
        - randomSamplingPercentage: 10.00
          customTags:
            my_new_foo_tag:
              literal:
                value: "foo"
      """;

  private static final String EGRESS_NO_PROPAGATION = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: egress-no-propagation
        namespace: istio-system
      spec:
        selector:
          matchLabels:
            istio: egressgateway
        tracing:
        - disableContextPropagation: true
      """;

  private static final String MESH_METRICS = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: mesh-default
        namespace: istio-system
      spec:
        # no selector specified, applies to all workloads
        metrics:
        - providers:
          - name: prometheus
          overrides:
          - match:
              metric: ALL_METRICS
              mode: SERVER
            disabled: true
      """;

  // ------------------------------------------------------------ istio/api config.proto

  private static final String OLLY_HTTP = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          extensionProviders:
          - name: otel-tracing
            opentelemetry:
              port: 443
              service: my.olly-backend.com
              http:
                path: "/api/otlp/traces"
                timeout: 10s
                headers:
                - name: "my-custom-header"
                  value: "some value"
      """;

  private static final String TRACING_GRPC_CAPITALISED = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          extensionProviders:
          - name: opentelemetry
            opentelemetry:
              port: 8090
              service: tracing.example.com
              grpc:
                timeout: 10s
                initialMetadata:
                - name: "Authentication"
                  value: "token-xxxxx"
      """;

  private static final String ENVIRONMENT_DETECTOR = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          extensionProviders:
          - name: otel-tracing
            opentelemetry:
              port: 443
              service: my.olly-backend.com
              resourceDetectors:
                environment: {}
      """;

  private static final String ENRICHMENT = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          extensionProviders:
          - name: otel-tracing
            opentelemetry:
              port: 443
              service: my.olly-backend.com
              serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS
      """;

  private static final String DYNATRACE = """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        meshConfig:
          extensionProviders:
          - name: otel-tracing
            opentelemetry:
              port: 443
              service: "{your-environment-id}.live.dynatrace.com"
              http:
                path: "/api/v2/otlp/v1/traces"
                timeout: 10s
                headers:
                  - name: "Authorization"
                    value: "Api-Token dt0c01."
              resourceDetectors:
                dynatrace: {}
              dynatraceSampler:
                tenant: "{your-environment-id}"
                clusterId: 1234
      """;

  /** The Dynatrace example with its placeholder filled in: the one change made to it. */
  private static final String DYNATRACE_FILLED = DYNATRACE.replace(
      "\"{your-environment-id}.live.dynatrace.com\"", "\"abc12345.live.dynatrace.com\"");

  private static final String ZIPKIN_NAMESPACED = """
      meshConfig:
        extensionProviders:
        - name: zipkin
          zipkin:
            service: "bar/zipkin.example.com"
            port: 9411
            timeout: 5s
            traceContextOption: USE_B3
        defaultProviders:
          tracing: [zipkin]
      """;

  private static final String WAYPOINT_TARGET_REFS = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: reviews-tracing
        namespace: default
      spec:
        targetRefs:
        - kind: Service
          group: ""
          name: reviews
        tracing:
        - randomSamplingPercentage: 50
      """;

  private static final String GATEWAY_TARGET_REFS = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: gateway-tracing
        namespace: default
      spec:
        targetRefs:
        - kind: Gateway
          group: gateway.networking.k8s.io
          name: bookinfo-gateway
        tracing:
        - randomSamplingPercentage: 50
      """;

  private static final String NAMESPACE_DEFAULT_TAGS = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: namespace-tracing
        namespace: default
      spec:
        tracing:
        - randomSamplingPercentage: 25
          customTags:
            team:
              literal:
                value: bookinfo
      """;

  private static final String REVIEWS_SELECTOR_TAGS = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata:
        name: reviews
        namespace: default
      spec:
        selector:
          matchLabels:
            app: reviews
        tracing:
        - customTags:
            version:
              environment:
                name: VERSION
      """;

  /** The Istio reference this repository ships for Istio (k8s/overlays/istio/install). */
  private static final String OTEL_COLLECTOR_NAMESPACED = """
      meshConfig:
        extensionProviders:
        - name: meshtrace-otel
          opentelemetry:
            service: observability/otel-collector.observability.svc.cluster.local
            port: 4317
            grpc:
              timeout: 1s
        - name: file
          envoyFileAccessLog:
            path: /dev/stdout
        defaultProviders:
          tracing: [meshtrace-otel]
          accessLogging: [file]
      """;

  // ------------------------------------------------------------------------------- rows

  /** A served row: the document and what its snapshots carry. */
  interface Check {
    void verify(MeshConfig c) throws Exception;
  }

  static Stream<Arguments> served() {
    return Stream.of(
        row("opentelemetry task, gRPC + Telemetry otel-demo", doc(OTEL_GRPC, OTEL_DEMO), c -> {
          HttpConnectionManager.Tracing t = tracing(c, "productpage", true);
          OpenTelemetryConfig otel = otel(t);
          assertThat(otel.getGrpcService().getEnvoyGrpc().getClusterName())
              .isEqualTo("tracing|otel-tracing");
          assertThat(otel.getGrpcService().getEnvoyGrpc().getAuthority())
              .isEqualTo("opentelemetry-collector.otel-collector.svc.cluster.local");
          assertThat(otel.getServiceName()).isEqualTo("productpage");
          assertThat(t.getRandomSampling().getValue()).isEqualTo(100.0);
          assertThat(t.getCustomTagsList()).containsExactly(literal("my-attribute",
              "default-value"));
          Cluster cl = cluster(c, "productpage", "tracing|otel-tracing");
          assertThat(cl.getTypedExtensionProtocolOptionsMap()).isNotEmpty();
          assertThat(tracing(c, "reviews", false)).isEqualTo(tracing(c, "reviews", true));
        }),
        row("opentelemetry task, HTTP (path without /)", doc(OTEL_HTTP, OTEL_DEMO), c -> {
          OpenTelemetryConfig otel = otel(tracing(c, "reviews", false));
          assertThat(otel.getHttpService().getHttpUri().getUri()).isEqualTo(
              "http://opentelemetry-collector.otel-collector.svc.cluster.local:4318/v1/traces");
          assertThat(otel.getHttpService().getHttpUri().getCluster())
              .isEqualTo("tracing|otel-tracing");
          assertThat(Durations.toMillis(otel.getHttpService().getHttpUri().getTimeout()))
              .isEqualTo(10_000);
          assertThat(otel.getHttpService().getRequestHeadersToAdd(0).getHeader().getKey())
              .isEqualTo("my-custom-header");
          assertThat(otel.getHttpService().getRequestHeadersToAdd(0).getHeader().getValue())
              .isEqualTo("some-value");
        }),
        row("telemetry-api task, zipkin mesh-wide", doc(ZIPKIN_INSTALL, MESH_ZIPKIN), c -> {
          HttpConnectionManager.Tracing t = tracing(c, "productpage", true);
          ZipkinConfig z = zipkin(t);
          assertThat(z.getCollectorCluster()).isEqualTo("tracing|zipkin");
          assertThat(z.getCollectorEndpoint()).isEqualTo("/api/v2/spans");
          assertThat(z.getCollectorHostname()).isEqualTo("zipkin.istio-system.svc.cluster.local");
          assertThat(z.getTraceId128Bit()).isTrue();
          assertThat(t.getRandomSampling().getValue()).isEqualTo(1.0);
        }),
        row("telemetry-api task, sampling 100", doc(ZIPKIN_INSTALL, MESH_ZIPKIN_100), c ->
            assertThat(tracing(c, "foo", false).getRandomSampling().getValue()).isEqualTo(100)),
        row("telemetry-api task, environment tag", doc(ZIPKIN_INSTALL, ENVIRONMENT_TAG), c -> {
          CustomTag tag = tracing(c, "reviews", true).getCustomTags(0);
          assertThat(tag.getTag()).isEqualTo("cluster_id");
          assertThat(tag.getEnvironment().getName()).isEqualTo("ISTIO_META_CLUSTER_ID");
          assertThat(tag.getEnvironment().getDefaultValue()).isEqualTo("Kubernetes");
        }),
        row("skywalking task", doc(SKYWALKING_INSTALL, MESH_100), c -> {
          HttpConnectionManager.Tracing t = tracing(c, "productpage", false);
          assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.skywalking");
          SkyWalkingConfig s = unpack(t.getProvider().getTypedConfig(), SkyWalkingConfig.class);
          assertThat(s.getGrpcService().getEnvoyGrpc().getAuthority())
              .isEqualTo("tracing.istio-system.svc.cluster.local");
          assertThat(t.getSpawnUpstreamSpan().getValue()).isTrue();
          assertThat(t.getRandomSampling().getValue()).isEqualTo(100);
        }),
        row("telemetry.proto: mesh 10%, foo in bar reports no spans",
            doc(SKYWALKING_INSTALL, MESH_10, FOO_NO_SPANS), c -> {
              assertThat(tracing(c, "foo", true)).isNull();
              assertThat(tracing(c, "foo", false)).isNull();
              assertThat(tracing(c, "reviews", true).getRandomSampling().getValue())
                  .isEqualTo(10);
            }),
        row("telemetry.proto: zipkin for clients only", doc(ZIPKIN_INSTALL, MESH_CLIENT_ZIPKIN),
            c -> {
              assertThat(zipkin(tracing(c, "productpage", true)).getCollectorCluster())
                  .isEqualTo("tracing|zipkin");
              assertThat(tracing(c, "productpage", false)).isNull();
            }),
        row("telemetry.proto: literal tag", doc(SKYWALKING_INSTALL, MESH_LITERAL_TAG),
            c -> {
              HttpConnectionManager.Tracing t = tracing(c, "reviews", false);
              assertThat(t.getCustomTagsList()).containsExactly(literal("my_new_foo_tag",
                  "foo"));
            }),
        row("telemetry.proto: metrics only (warned, no tracing change)",
            doc(SKYWALKING_INSTALL, MESH_METRICS), c -> {
              assertThat(c.warnings()).anyMatch(w -> w.contains("spec.metrics: not served"));
            }),
        row("config.proto: OTLP/HTTP to a backend", doc(OLLY_HTTP, OTEL_DEMO), c -> {
          OpenTelemetryConfig otel = otel(tracing(c, "reviews", true));
          assertThat(otel.getHttpService().getHttpUri().getUri())
              .isEqualTo("http://my.olly-backend.com:443/api/otlp/traces");
          assertThat(otel.getHttpService().getRequestHeadersToAdd(0).getHeader().getValue())
              .isEqualTo("some value");
        }),
        row("config.proto: environment resource detector", doc(ENVIRONMENT_DETECTOR, OTEL_DEMO),
            c -> {
              List<TypedExtensionConfig> d = otel(tracing(c, "reviews", true))
                  .getResourceDetectorsList();
              assertThat(d).hasSize(1);
              assertThat(d.get(0).getName())
                  .isEqualTo("envoy.tracers.opentelemetry.resource_detectors.environment");
              assertThat(d.get(0).getTypedConfig().is(EnvironmentResourceDetectorConfig.class))
                  .isTrue();
            }),
        row("config.proto: Dynatrace (placeholder filled in)", doc(DYNATRACE_FILLED, OTEL_DEMO),
            c -> {
              HttpConnectionManager.Tracing t = tracing(c, "productpage", true);
              OpenTelemetryConfig otel = otel(t);
              assertThat(otel.getResourceDetectors(0).getName())
                  .isEqualTo("envoy.tracers.opentelemetry.resource_detectors.dynatrace");
              assertThat(otel.getSampler().getName())
                  .isEqualTo("envoy.tracers.opentelemetry.samplers.dynatrace");
              DynatraceSamplerConfig s = unpack(otel.getSampler().getTypedConfig(),
                  DynatraceSamplerConfig.class);
              assertThat(s.getTenant()).isEqualTo("{your-environment-id}");
              assertThat(s.getClusterId()).isEqualTo(1234);
              assertThat(s.getHttpService().getHttpUri().getUri()).isEqualTo(
                  "http://abc12345.live.dynatrace.com:443/api/v2/samplingConfiguration");
              assertThat(s.getHttpService().getHttpUri().getCluster())
                  .isEqualTo("tracing|otel-tracing");
              assertThat(s.getHttpService().getRequestHeadersToAdd(0).getHeader().getValue())
                  .isEqualTo("Api-Token dt0c01.");
              // The sampler decides: Envoy samples everything, as Istio sets it.
              assertThat(t.getRandomSampling().getValue()).isEqualTo(100);
            }),
        row("config.proto: zipkin service bar/zipkin.example.com", doc(ZIPKIN_NAMESPACED), c -> {
          ZipkinConfig z = zipkin(tracing(c, "productpage", true));
          assertThat(z.getCollectorHostname()).isEqualTo("zipkin.example.com");
          Cluster cl = cluster(c, "productpage", "tracing|zipkin");
          assertThat(cl.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint()
              .getAddress().getSocketAddress().getAddress()).isEqualTo("zipkin.example.com");
        }),
        row("targetRefs kind Service", doc(ZIPKIN_INSTALL, MESH_ZIPKIN, WAYPOINT_TARGET_REFS),
            c -> {
              assertThat(tracing(c, "reviews", false).getRandomSampling().getValue())
                  .isEqualTo(50);
              assertThat(tracing(c, "productpage", false).getRandomSampling().getValue())
                  .isEqualTo(1.0);
            }),
        row("mesh, namespace and workload: customTags replace, sampling inherited",
            doc(ZIPKIN_INSTALL, MESH_ZIPKIN, NAMESPACE_DEFAULT_TAGS, REVIEWS_SELECTOR_TAGS), c -> {
              HttpConnectionManager.Tracing pp = tracing(c, "productpage", true);
              assertThat(pp.getRandomSampling().getValue()).isEqualTo(25);
              assertThat(pp.getCustomTagsList()).containsExactly(literal("team", "bookinfo"));
              HttpConnectionManager.Tracing rv = tracing(c, "reviews", true);
              assertThat(rv.getRandomSampling().getValue()).isEqualTo(25);
              assertThat(rv.getCustomTagsList()).extracting(CustomTag::getTag)
                  .containsExactly("version");
              // foo is in namespace bar: only the mesh-wide resource applies.
              assertThat(tracing(c, "foo", true).getRandomSampling().getValue()).isEqualTo(1.0);
            }),
        row("ns/host service, non-tracing provider warned", doc(OTEL_COLLECTOR_NAMESPACED), c -> {
          OpenTelemetryConfig otel = otel(tracing(c, "productpage", true));
          assertThat(otel.getGrpcService().getEnvoyGrpc().getAuthority())
              .isEqualTo("otel-collector.observability.svc.cluster.local");
          assertThat(c.warnings()).anyMatch(w -> w.contains("(envoyFileAccessLog): not a"
              + " tracing provider"));
          assertThat(c.warnings()).anyMatch(w -> w.contains("accessLogging: not served"));
        }),
        row("datadog", doc("""
            meshConfig:
              extensionProviders:
              - name: datadog
                datadog:
                  service: datadog-agent.datadog.svc.cluster.local
                  port: 8126
                  maxTagLength: 200
              defaultProviders:
                tracing: [datadog]
            """), c -> {
              HttpConnectionManager.Tracing t = tracing(c, "productpage", true);
              DatadogConfig d = unpack(t.getProvider().getTypedConfig(), DatadogConfig.class);
              assertThat(d.getCollectorHostname())
                  .isEqualTo("datadog-agent.datadog.svc.cluster.local");
              assertThat(t.getMaxPathTagLength().getValue()).isEqualTo(200);
            }));
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        refusedRow("telemetry-api task literal tag, as printed (indentation lost)",
            doc(ZIPKIN_INSTALL, LITERAL_TAG_AS_PRINTED),
            "yaml: line ", "while parsing a block collection: expected <block end>"),
        refusedRow("telemetry-api task header tag with its placeholders",
            doc(ZIPKIN_INSTALL, HEADER_TAG_PLACEHOLDERS),
            "telemetry[0].spec.tracing[0].customTags.my_tag_header.header.name=<CLIENT-HEADER>:"
                + " must be an HTTP header name"),
        refusedRow("gateway-api task's custom_tags", doc(ZIPKIN_INSTALL, HEADER_TAG_SNAKE_CASE),
            "telemetry[0].spec.tracing[0].custom_tags="),
        refusedRow("telemetry-api task maxTagLength placeholder", doc(ZIPKIN_MAX_TAG_PLACEHOLDER),
            "meshConfig.extensionProviders[0].zipkin.maxTagLength=<VALUE>: must be an integer"),
        refusedRow("telemetry.proto: egress gateway without context propagation",
            doc(ZIPKIN_INSTALL, MESH_ZIPKIN, EGRESS_NO_PROPAGATION),
            "telemetry[1].spec.selector.matchLabels.istio=egressgateway: meshtrace selects"
                + " workloads by their service only",
            "telemetry[1].spec.tracing[0].disableContextPropagation=true: Envoy API v1.34's HCM"
                + " tracing has no no_context_propagation"),
        refusedRow("config.proto: capitalised gRPC metadata key",
            doc(TRACING_GRPC_CAPITALISED, OTEL_DEMO.replace("otel-tracing", "opentelemetry")),
            "meshConfig.extensionProviders[0].opentelemetry.grpc.initialMetadata[0].name="
                + "Authentication: gRPC metadata keys must be lower case"),
        refusedRow("config.proto: Dynatrace with its placeholder", doc(DYNATRACE, OTEL_DEMO),
            "meshConfig.extensionProviders[0].opentelemetry.service={your-environment-id}"
                + ".live.dynatrace.com: must be [<namespace>/]<hostname>"),
        refusedRow("config.proto: serviceAttributeEnrichment", doc(ENRICHMENT, OTEL_DEMO),
            "meshConfig.extensionProviders[0].opentelemetry.serviceAttributeEnrichment="
                + "OTEL_SEMANTIC_CONVENTIONS: not served: meshtrace names the tracer's service"),
        refusedRow("zipkin traceContextOption B3 + W3C", doc(ZIPKIN_NAMESPACED.replace(
            "USE_B3", "USE_B3_WITH_W3C_PROPAGATION")),
            "meshConfig.extensionProviders[0].zipkin.traceContextOption="
                + "USE_B3_WITH_W3C_PROPAGATION: Envoy API v1.34's Zipkin tracer reads and writes"
                + " B3 only (trace_context_option is Envoy 1.36)"),
        refusedRow("zipkin timeout other than Envoy's 5s", doc(ZIPKIN_NAMESPACED.replace(
            "timeout: 5s", "timeout: 10s")),
            "meshConfig.extensionProviders[0].zipkin.timeout=10s: Envoy API v1.34's Zipkin"
                + " tracer has no timeout"),
        refusedRow("zipkin headers", doc(ZIPKIN_NAMESPACED.replace("timeout: 5s",
            "headers:\n      - name: x-tenant\n        value: a")),
            "meshConfig.extensionProviders[0].zipkin.headers=",
            "cannot add headers to collector requests"),
        refusedRow("service namespace that is not the host's",
            doc(OTEL_COLLECTOR_NAMESPACED.replace("observability/", "istio-system/")),
            "meshConfig.extensionProviders[0].opentelemetry.service=istio-system/otel-collector"
                + ".observability.svc.cluster.local: the host is a Service of namespace"
                + " observability, not istio-system"),
        refusedRow("targetRefs kind Gateway", doc(ZIPKIN_INSTALL, MESH_ZIPKIN,
            GATEWAY_TARGET_REFS),
            "telemetry[1].spec.targetRefs[0].kind=gateway.networking.k8s.io/Gateway: meshtrace"
                + " selects by Service"),
        refusedRow("a Telemetry naming a non-tracing provider", doc(OTEL_COLLECTOR_NAMESPACED,
            OTEL_DEMO.replace("otel-tracing", "file")),
            "telemetry[0].spec.tracing[0].providers[0].name=file: not a tracing provider (its"
                + " kind is envoyFileAccessLog)"),
        refusedRow("lightstep", doc("""
            meshConfig:
              extensionProviders:
              - name: lightstep
                lightstep:
                  service: lightstep-satellite.lightstep.svc.cluster.local
                  port: 8080
                  accessToken: secret
            """),
            "meshConfig.extensionProviders[0].lightstep=", "Istio deprecated lightstep"),
        refusedRow("enableTracing without a provider", doc("""
            meshConfig:
              enableTracing: true
              extensionProviders:
              - name: zipkin
                zipkin:
                  service: zipkin.istio-system.svc.cluster.local
                  port: 9411
            """), "meshConfig.enableTracing=true: without a provider Istio traces with"
            + " ProxyConfig's legacy tracer"),
        refusedRow("extensionProviders in meshConfig and at the top level",
            doc(OTEL_GRPC) + "extensionProviders: []\n",
            "meshConfig.extensionProviders=", "also written at the top level"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("served")
  void istioExample_parsedUnchanged_servesIt(String yaml, Check check) throws Exception {
    MeshConfig c = ConfigParser.parse(yaml, null);
    for (GroupKey g : MeshSnapshots.groups(c)) {
      assertThat(MeshSnapshots.build(c, g).errors()).as(g.toString()).isEmpty();
    }
    check.verify(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void istioExample_refused_namesFieldAndReason(String yaml, List<String> expected) {
    assertThatThrownBy(() -> ConfigParser.parse(yaml, null))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          for (String x : expected) {
            assertThat(e.errors()).as(x).anyMatch(m -> m.contains(x));
          }
        });
  }

  // ---------------------------------------------------------------------------- helpers

  private static Arguments row(String name, String yaml, Check check) {
    return Arguments.of(Named.of(name, yaml), check);
  }

  private static Arguments refusedRow(String name, String yaml, String... expected) {
    return Arguments.of(Named.of(name, yaml), List.of(expected));
  }

  /**
   * The mesh file a user writes from Istio's examples: the services, then the meshConfig block
   * of the IstioOperator (or Helm values) and the Telemetry resources, each as it stands.
   */
  static String doc(String install, String... telemetries) {
    StringBuilder b = new StringBuilder(SERVICES);
    b.append(meshConfigBlock(install));
    List<String> docs = new ArrayList<>();
    for (String t : telemetries) {
      docs.addAll(List.of(t.split("(?m)^---\n")));
    }
    if (!docs.isEmpty()) {
      b.append("telemetry:\n");
      for (String t : docs) {
        b.append(listItem(t));
      }
    }
    return b.toString();
  }

  /** {@code spec.meshConfig} of an IstioOperator moved to the top level, or the text itself. */
  private static String meshConfigBlock(String install) {
    int at = install.indexOf("\n  meshConfig:\n");
    if (at < 0) {
      return install;
    }
    StringBuilder b = new StringBuilder();
    for (String line : install.substring(at + 1).split("\n")) {
      if (!line.isBlank() && !line.startsWith("  ")) {
        break;
      }
      b.append(line.length() >= 2 ? line.substring(2) : line).append('\n');
    }
    return b.toString();
  }

  /** A YAML document as an item of a list: "- " before its first line, two spaces before the rest. */
  private static String listItem(String document) {
    StringBuilder b = new StringBuilder();
    boolean first = true;
    for (String line : document.split("\n")) {
      b.append(first ? "- " : "  ").append(line).append('\n');
      first = false;
    }
    return b.toString();
  }

  /** The HCM tracing of a sidecar's outbound or inbound side, or null when it does not trace. */
  static HttpConnectionManager.Tracing tracing(MeshConfig c, String service, boolean outbound) {
    MeshSnapshots.Result r = MeshSnapshots.build(c, "sidecar/" + service);
    assertThat(r.errors()).isEmpty();
    Listener l = r.snapshot().listeners().resources()
        .get(outbound ? SidecarBuilder.OUTBOUND_LISTENER : SidecarBuilder.INBOUND_LISTENER);
    HttpConnectionManager h = unpack(l.getFilterChains(0).getFilters(0).getTypedConfig(),
        HttpConnectionManager.class);
    return h.hasTracing() ? h.getTracing() : null;
  }

  private static Cluster cluster(MeshConfig c, String service, String name) {
    Cluster cl = MeshSnapshots.build(c, "sidecar/" + service).snapshot().clusters().resources()
        .get(name);
    assertThat(cl).as(name).isNotNull();
    return cl;
  }

  private static OpenTelemetryConfig otel(HttpConnectionManager.Tracing t) {
    assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.opentelemetry");
    return unpack(t.getProvider().getTypedConfig(), OpenTelemetryConfig.class);
  }

  private static ZipkinConfig zipkin(HttpConnectionManager.Tracing t) {
    assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.zipkin");
    return unpack(t.getProvider().getTypedConfig(), ZipkinConfig.class);
  }

  private static CustomTag literal(String tag, String value) {
    return CustomTag.newBuilder().setTag(tag)
        .setLiteral(CustomTag.Literal.newBuilder().setValue(value)).build();
  }
}
