package io.meshtrace.xds.config;

import static io.meshtrace.xds.TestMesh.PROVIDERS;
import static io.meshtrace.xds.TestMesh.SERVICES;
import static io.meshtrace.xds.TestMesh.TRACING;
import static io.meshtrace.xds.TestMesh.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.MeshConfig.OpenTelemetryGrpc;
import io.meshtrace.xds.config.MeshConfig.Zipkin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigParserTest {

  @Test
  void parse_bundledBookinfo_hasNoProblems() throws Exception {
    String text = Files.readString(Path.of("config/bookinfo.yaml"));
    MeshConfig c = ConfigParser.parse(text, null);
    assertThat(c.services()).extracting(MeshConfig.Service::name)
        .containsExactly("productpage", "details", "reviews", "ratings");
    assertThat(c.providers()).hasSize(5);
    assertThat(c.propagation()).isEqualTo(MeshConfig.Propagation.W3C);
    assertThat(TestMesh.problems(text)).isEmpty();
    OpenTelemetryGrpc otel = (OpenTelemetryGrpc) c.provider("otel");
    assertThat(otel.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(otel.initialMetadata()).containsExactly(new Header("x-tenant",
        "bookinfo"));
    Zipkin z = (Zipkin) c.provider("zipkin");
    assertThat(z.httpPath()).isEqualTo("/api/v2/spans");
    assertThat(z.traceId128bit()).isTrue();
  }

  @Test
  void parse_classpathCopy_equalsConfigDirectoryFile() throws Exception {
    try (var in = getClass().getResourceAsStream("/io/meshtrace/xds/bookinfo.yaml")) {
      assertThat(in).isNotNull();
      assertThat(new String(in.readAllBytes()))
          .isEqualTo(Files.readString(Path.of("config/bookinfo.yaml")));
    }
  }

  @Test
  void parse_meshVersionOnly_propagationFollowsVersion() throws Exception {
    MeshConfig old = ConfigParser.parse("meshVersion: 1.18.0.124\n" + TestMesh.base(), null);
    MeshConfig next = ConfigParser.parse("meshVersion: 1.18.0.125\n" + TestMesh.base(), null);
    MeshConfig none = ConfigParser.parse(TestMesh.base(), null);
    MeshConfig explicit = ConfigParser.parse("meshVersion: 1.10\npropagation: w3c\n"
        + TestMesh.base(), null);
    assertThat(old.propagation()).isEqualTo(MeshConfig.Propagation.B3);
    assertThat(old.warnings()).anyMatch(w -> w.contains("opentelemetry tracer propagates only"));
    assertThat(next.propagation()).isEqualTo(MeshConfig.Propagation.W3C);
    assertThat(next.warnings()).isEmpty();
    assertThat(none.propagation()).isEqualTo(MeshConfig.Propagation.W3C);
    assertThat(explicit.propagation()).isEqualTo(MeshConfig.Propagation.W3C);
    assertThat(explicit.propagationExplicit()).isTrue();
  }

  @Test
  void parse_explicitB3_onlyProvidersInUseChecked() throws Exception {
    MeshConfig c = ConfigParser.parse("propagation: b3\n" + yaml(PROVIDERS + """
          - name: zipkin
            zipkin: {service: zipkin, port: 9411}
        """, """
        defaultProviders: {tracing: [zipkin]}
        """, SERVICES), null);
    assertThat(c.propagation()).isEqualTo(MeshConfig.Propagation.B3);
    assertThat(c.warnings()).isEmpty();
  }

  @Test
  void parse_samplingFractions_kept() throws Exception {
    MeshConfig c = ConfigParser.parse(yaml(PROVIDERS, """
        defaultProviders: {tracing: [otel]}
        tracing:
          - randomSamplingPercentage: 0.01
            clientSamplingPercentage: 99.5
            overallSamplingPercentage: 0
        """, SERVICES), null);
    assertThat(c.tracing().get(0).randomSamplingPercentage()).isEqualTo(0.01);
    assertThat(c.tracing().get(0).clientSamplingPercentage()).isEqualTo(99.5);
    assertThat(c.tracing().get(0).overallSamplingPercentage()).isEqualTo(0.0);
  }

  static Stream<Arguments> invalidConfigs() {
    String svc = SERVICES;
    return Stream.of(
        // root and top level
        Arguments.of("root is a list", "- a\n- b\n", "(root)=", "must be a mapping"),
        Arguments.of("unknown top-level key", TestMesh.base() + "tracng: []\n", "tracng=",
            "unknown key"),
        Arguments.of("bad meshVersion", "meshVersion: latest\n" + TestMesh.base(),
            "meshVersion=latest", "dotted version"),
        Arguments.of("unknown propagation", "propagation: jaeger\n" + TestMesh.base(),
            "propagation=jaeger", "b3, w3c"),
        Arguments.of("explicit b3 with an opentelemetry provider",
            "propagation: b3\n" + TestMesh.base(), "propagation=b3",
            "opentelemetry tracer propagates only w3c"),
        Arguments.of("yaml syntax error", "services: [\n", "yaml:", "line"),
        Arguments.of("empty file", "", "yaml: the file holds no mesh", "services: []"),
        Arguments.of("comment-only file", "# mesh\n", "yaml: the file holds no mesh",
            "only comments"),
        Arguments.of("document marker only", "---\n", "yaml: the file holds no mesh", "---"),
        Arguments.of("no services key", PROVIDERS + TRACING, "services=(missing)",
            "write services: [] for a mesh without any"),
        Arguments.of("services written empty", PROVIDERS + TRACING + "services:\n",
            "services=(empty)", "write services: [] for a mesh without any"),
        Arguments.of("services null", PROVIDERS + TRACING + "services: ~\n",
            "services=(empty)", "write services: [] for a mesh without any"),
        Arguments.of("duplicate key", TestMesh.base() + "tracing: []\n", "yaml: line 24",
            "tracing: duplicate key (first on line 8)"),
        // providers
        Arguments.of("unknown provider kind", yaml("""
            extensionProviders:
              - name: otel
                jaeger: {service: j, port: 1}
            """, TRACING, svc), "extensionProviders[0].jaeger=", "unknown key"),
        Arguments.of("provider without kind", yaml("""
            extensionProviders:
              - name: otel
            """, TRACING, svc), "extensionProviders[0]=(none)", "exactly one of"),
        Arguments.of("provider with two kinds", yaml("""
            extensionProviders:
              - name: otel
                zipkin: {service: z, port: 9411}
                datadog: {service: d, port: 8126}
            """, TRACING, svc), "extensionProviders[0]=", "exactly one of"),
        Arguments.of("provider missing name", yaml("""
            extensionProviders:
              - zipkin: {service: z, port: 9411}
            """, TRACING, svc), "extensionProviders[0].name=(missing)", "required"),
        Arguments.of("duplicate provider name", yaml(PROVIDERS + """
              - name: otel
                zipkin: {service: z, port: 9411}
            """, TRACING, svc), "extensionProviders[1].name=otel", "duplicate provider"),
        Arguments.of("missing host", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry: {port: 4317}
            """, TRACING, svc), "extensionProviders[0].opentelemetry.service=(missing)",
            "required"),
        Arguments.of("host with a space", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry: {service: "otel collector", port: 4317}
            """, TRACING, svc), "extensionProviders[0].opentelemetry.service=otel collector",
            "must be [<namespace>/]<hostname>"),
        Arguments.of("port 0", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry: {service: otel, port: 0}
            """, TRACING, svc), "extensionProviders[0].opentelemetry.port=0",
            "between 1 and 65535"),
        Arguments.of("port 70000", yaml("""
            extensionProviders:
              - name: otel
                zipkin: {service: z, port: 70000}
            """, TRACING, svc), "extensionProviders[0].zipkin.port=70000",
            "between 1 and 65535"),
        Arguments.of("port as text", yaml("""
            extensionProviders:
              - name: otel
                skywalking: {service: sw, port: "eleven"}
            """, TRACING, svc), "extensionProviders[0].skywalking.port=eleven",
            "between 1 and 65535"),
        Arguments.of("otel http path with a space", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry:
                  service: otel
                  port: 4318
                  http: {path: v1/my traces}
            """, TRACING, svc), "extensionProviders[0].opentelemetry.http.path=v1/my traces",
            "without spaces"),
        Arguments.of("zipkin path without slash", yaml("""
            extensionProviders:
              - name: otel
                zipkin: {service: z, port: 9411, path: api/v2/spans}
            """, TRACING, svc), "extensionProviders[0].zipkin.path=api/v2/spans",
            "starting with /"),
        Arguments.of("zipkin unknown encoding", yaml("""
            extensionProviders:
              - name: otel
                zipkin: {service: z, port: 9411, encoding: thrift}
            """, TRACING, svc), "extensionProviders[0].zipkin.encoding=thrift",
            "json, proto"),
        Arguments.of("otel http and grpc both", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry:
                  service: otel
                  port: 4318
                  http: {path: /v1/traces}
                  grpc: {timeout: 1s}
            """, TRACING, svc), "extensionProviders[0].opentelemetry=http+grpc",
            "at most one"),
        Arguments.of("bad timeout", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry:
                  service: otel
                  port: 4317
                  grpc: {timeout: soon}
            """, TRACING, svc), "extensionProviders[0].opentelemetry.grpc.timeout=soon",
            "duration"),
        Arguments.of("zero timeout", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry:
                  service: otel
                  port: 4318
                  http: {timeout: 0s}
            """, TRACING, svc), "extensionProviders[0].opentelemetry.http.timeout=0s",
            "greater than 0"),
        Arguments.of("header name with space", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry:
                  service: otel
                  port: 4318
                  http:
                    headers: [{name: "x tenant", value: a}]
            """, TRACING, svc),
            "extensionProviders[0].opentelemetry.http.headers[0].name=x tenant",
            "HTTP header name"),
        Arguments.of("header value with newline", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry:
                  service: otel
                  port: 4318
                  http:
                    headers: [{name: x-tenant, value: "a\\nb"}]
            """, TRACING, svc),
            "extensionProviders[0].opentelemetry.http.headers[0].value=a\\x0ab",
            "control characters"),
        Arguments.of("grpc metadata upper case", yaml("""
            extensionProviders:
              - name: otel
                opentelemetry:
                  service: otel
                  port: 4317
                  grpc:
                    initialMetadata: [{name: X-Tenant, value: a}]
            """, TRACING, svc),
            "extensionProviders[0].opentelemetry.grpc.initialMetadata[0].name=X-Tenant",
            "lower case"),
        Arguments.of("maxTagLength 0", yaml("""
            extensionProviders:
              - name: otel
                zipkin: {service: z, port: 9411, maxTagLength: 0}
            """, TRACING, svc), "extensionProviders[0].zipkin.maxTagLength=0",
            "between 1 and 65535"),
        // tracing
        Arguments.of("sampling 140", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - randomSamplingPercentage: 140
            """, svc), "tracing[0].randomSamplingPercentage=140", "between 0 and 100"),
        Arguments.of("negative client sampling", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - clientSamplingPercentage: -1
            """, svc), "tracing[0].clientSamplingPercentage=-1", "between 0 and 100"),
        Arguments.of("overall sampling as text", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - overallSamplingPercentage: "half"
            """, svc), "tracing[0].overallSamplingPercentage=half", "number between 0"),
        Arguments.of("unknown provider reference", yaml(PROVIDERS, """
            tracing:
              - providers: [{name: jaeger}]
            """, svc), "tracing[0].providers[0].name=jaeger", "unknown provider"),
        Arguments.of("two providers in one rule", yaml(PROVIDERS + """
              - name: zipkin
                zipkin: {service: z, port: 9411}
            """, """
            tracing:
              - providers: [{name: otel}, {name: zipkin}]
            """, svc), "tracing[0].providers=2 providers", "exactly one"),
        Arguments.of("unknown default provider", yaml(PROVIDERS, """
            defaultProviders: {tracing: [lightstep]}
            """, svc), "defaultProviders.tracing[0]=lightstep", "unknown provider"),
        Arguments.of("rules without any provider", yaml(PROVIDERS, """
            tracing:
              - randomSamplingPercentage: 5
            """, svc), "tracing=(no provider)", "name a provider"),
        Arguments.of("selector names unknown service", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - selector: {services: [payments]}
                randomSamplingPercentage: 5
            """, svc), "tracing[0].selector.services[0]=payments", "unknown service"),
        Arguments.of("bad match mode", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - match: {mode: BOTH}
            """, svc), "tracing[0].match.mode=BOTH", "CLIENT, SERVER"),
        Arguments.of("misspelt tracing key", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - randomSamplingPercent: 5
            """, svc), "tracing[0].randomSamplingPercent=5", "unknown key"),
        Arguments.of("maxPathTagLength 0", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - maxPathTagLength: 0
            """, svc), "tracing[0].maxPathTagLength=0", "between 1 and 65535"),
        Arguments.of("custom tag header name with space", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - customTags:
                  user: {header: {name: "end user"}}
            """, svc), "tracing[0].customTags.user.header.name=end user", "header name"),
        Arguments.of("custom tag with two kinds", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - customTags:
                  user: {header: {name: u}, literal: {value: v}}
            """, svc), "tracing[0].customTags.user=", "exactly one of"),
        Arguments.of("custom tag literal empty (Envoy rule)", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - customTags:
                  team: {literal: {value: ""}}
            """, svc), "tracing[0].customTags.team.literal", "must not be empty"),
        Arguments.of("custom tag metadata without path (Envoy rule)", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - customTags:
                  policy: {metadata: {kind: route, key: envoy.filters.http.rbac}}
            """, svc),
            "tracing[0].customTags.policy.metadata: metadata.metadata_key.path=(0 items)",
            "at least 1 items"),
        Arguments.of("custom tag metadata without key (Envoy rule)", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - customTags:
                  policy: {metadata: {kind: request, path: [a]}}
            """, svc), "tracing[0].customTags.policy.metadata: metadata.metadata_key.key=\"\"",
            "length must be at least 1"),
        Arguments.of("custom tag metadata bad kind", yaml(PROVIDERS, """
            defaultProviders: {tracing: [otel]}
            tracing:
              - customTags:
                  policy: {metadata: {kind: pod, key: k, path: [a]}}
            """, svc), "tracing[0].customTags.policy.metadata.kind=pod", "request, route"),
        // services
        Arguments.of("duplicate services", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080}]
              - name: reviews
                ports: [{number: 9081}]
            """), "services[1].name=reviews", "duplicate service"),
        Arguments.of("service name upper case", yaml(PROVIDERS, TRACING, """
            services:
              - name: Reviews
                ports: [{number: 9080}]
            """), "services[0].name=Reviews", "DNS name"),
        Arguments.of("service without ports", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
            """), "services[0].ports=(missing)", "at least one port"),
        Arguments.of("service port 0", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 0}]
            """), "services[0].ports[0].number=0", "between 1 and 65535"),
        Arguments.of("targetPort 65536", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080, targetPort: 65536}]
            """), "services[0].ports[0].targetPort=65536", "between 1 and 65535"),
        Arguments.of("duplicate port number", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{name: a, number: 9080}, {name: b, number: 9080}]
            """), "services[0].ports[1].number=9080", "duplicate port number"),
        Arguments.of("unknown protocol", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080, protocol: THRIFT}]
            """), "services[0].ports[0].protocol=THRIFT", "HTTP, HTTP2, GRPC"),
        Arguments.of("endpoints mixing IPs and host names", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080}]
                endpoints: [{address: reviews-v1.local}, {address: 10.0.0.1}]
            """), "services[0].endpoints", "mixes IP addresses and host names"),
        Arguments.of("two host name endpoints for proxyless gRPC", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080}]
                endpoints: [{address: reviews-v1.local}, {address: reviews-v2.local}]
            """), "services[0].endpoints", "exactly one endpoint"),
        Arguments.of("locality not a mapping", TestMesh.base().replace("- name: reviews",
            "- name: reviews\n    locality: us-east1"), "services[1].locality=us-east1",
            "must be a mapping"),
        Arguments.of("locality unknown key", TestMesh.base().replace("- name: reviews",
            "- name: reviews\n    locality: {region: r, subzone: s}"),
            "services[1].locality.subzone=s", "unknown key; expected one of [region, subZone,"
            + " zone]"),
        Arguments.of("locality region with a slash", TestMesh.base().replace("- name: reviews",
            "- name: reviews\n    locality: {region: us/east1}"),
            "services[1].locality.region=us/east1", "Kubernetes topology label value"),
        Arguments.of("locality zone not a string", TestMesh.base().replace("- name: reviews",
            "- name: reviews\n    locality: {region: r, zone: [a]}"),
            "services[1].locality.zone=[\"a\"]", "must be a string"),
        Arguments.of("locality empty region", TestMesh.base().replace("- name: reviews",
            "- name: reviews\n    locality: {region: \"\"}"),
            "services[1].locality.region=\"\"", "1-63 letters"),
        Arguments.of("locality zone without region", TestMesh.base().replace("- name: reviews",
            "- name: reviews\n    locality: {zone: us-east1-b}"),
            "services[1].locality.zone=us-east1-b", "needs region"),
        Arguments.of("locality sub-zone without zone", TestMesh.base().replace("- name: reviews",
            "- name: reviews\n    locality: {region: us-east1, subZone: rack-7}"),
            "services[1].locality.subZone=rack-7", "needs zone"),
        // gateway
        Arguments.of("gateway unknown key", TestMesh.base() + "gateway: {prot: 8080}\n",
            "gateway.prot=8080", "unknown key"),
        Arguments.of("gateway port 0", TestMesh.base() + "gateway: {port: 0}\n",
            "gateway.port=0", "between 1 and 65535"),
        Arguments.of("gateway host with a space", TestMesh.base()
            + "gateway: {hosts: [\"a b\"]}\n", "gateway.hosts[0]=a b", "host name"),
        Arguments.of("gateway no hosts", TestMesh.base() + "gateway: {hosts: []}\n",
            "gateway.hosts=[]", "at least one host"),
        Arguments.of("gateway route to unknown service", TestMesh.base()
            + "gateway: {routes: [{prefix: /, service: payments}]}\n",
            "gateway.routes[0].service=payments", "unknown service"),
        Arguments.of("gateway route to unknown port", TestMesh.base()
            + "gateway: {routes: [{prefix: /, service: reviews, port: 9999}]}\n",
            "gateway.routes[0].port=9999", "not a port of reviews"),
        Arguments.of("gateway route prefix without slash", TestMesh.base()
            + "gateway: {routes: [{prefix: api, service: reviews}]}\n",
            "gateway.routes[0].prefix=api", "starting with /"),
        Arguments.of("gateway duplicate prefix", TestMesh.base()
            + "gateway: {routes: [{service: reviews}, {prefix: /, service: productpage}]}\n",
            "gateway.routes[1].prefix=/", "duplicate prefix"),
        Arguments.of("header repair without ext-proc host", TestMesh.base()
            + "gateway: {headerRepair: {enabled: true}}\n",
            "gateway.headerRepair.extProc.host=(missing)", "required when"),
        Arguments.of("header repair enabled not a boolean", TestMesh.base()
            + "gateway: {headerRepair: {enabled: yes please}}\n",
            "gateway.headerRepair.enabled=yes please", "true or false"),
        Arguments.of("ext-proc timeout 0", TestMesh.base()
            + "gateway: {headerRepair: {enabled: true, extProc: {host: a, timeout: 0s}}}\n",
            "gateway.headerRepair.extProc.timeout=0s", "greater than 0"),
        Arguments.of("ext-proc timeout over an hour", TestMesh.base()
            + "gateway: {headerRepair: {enabled: true, extProc: {host: a, timeout: 2h}}}\n",
            "gateway.headerRepair.extProc.timeout=2h", "at most 3600s"),
        Arguments.of("ext-proc port 70000", TestMesh.base()
            + "gateway: {headerRepair: {enabled: true, extProc: {host: a, port: 70000}}}\n",
            "gateway.headerRepair.extProc.port=70000", "between 1 and 65535"),
        Arguments.of("ext-proc bad host", TestMesh.base()
            + "gateway: {headerRepair: {enabled: true, extProc: {host: \"a/b\"}}}\n",
            "gateway.headerRepair.extProc.host=a/b", "host name or IP"),
        Arguments.of("marker header upper case", TestMesh.base()
            + "gateway: {headerRepair: {markerHeader: X-Repair}}\n",
            "gateway.headerRepair.markerHeader=X-Repair", "lower-case HTTP header name"),
        Arguments.of("endpoint port for unknown port name", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{name: http, number: 9080}]
                endpoints: [{address: 10.0.0.1, ports: {grpc: 9090}}]
            """), "services[0].endpoints[0].ports.grpc=9090", "unknown port name"),
        Arguments.of("endpoint weight 0", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080}]
                endpoints: [{address: 10.0.0.1, weight: 0}]
            """), "services[0].endpoints[0].weight=0", "between 1 and 128"),
        Arguments.of("unknown dependency", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080}]
                dependencies: [ratings]
            """), "services[0].dependencies[0]=ratings", "unknown service"),
        Arguments.of("route prefix without slash", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080}]
                routes: [{name: api, prefix: api}]
            """), "services[0].routes[0].prefix=api", "starting with /"),
        Arguments.of("route sampling 101", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                ports: [{number: 9080}]
                routes: [{name: api, prefix: /api, tracing: {randomSamplingPercentage: 101}}]
            """), "services[0].routes[0].tracing.randomSamplingPercentage=101",
            "between 0 and 100"),
        Arguments.of("host shared by two services", yaml(PROVIDERS, TRACING, """
            services:
              - name: reviews
                hosts: [shared.local]
                ports: [{number: 9080}]
              - name: ratings
                hosts: [shared.local]
                ports: [{number: 9080}]
            """), "services[1].hosts=shared.local", "already used by services[0]"),
        Arguments.of("sidecar ports equal", TestMesh.base()
            + "sidecar: {inboundPort: 15001, outboundPort: 15001}\n",
            "sidecar.outboundPort=15001", "must differ"),
        Arguments.of("tls file missing", TestMesh.base()
            + "server: {ads: {tls: {keyStore: /nonexistent/ks.p12}}}\n",
            "server.ads.tls.keyStore=/nonexistent/ks.p12", "readable file"),
        Arguments.of("mTLS required without CA", TestMesh.base()
            + "server: {ads: {tls: {requireClientCert: true}}}\n",
            "server.ads.tls.requireClientCert=true", "needs clientCa"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidConfigs")
  void problems_invalidConfig_namesTheField(String name, String yaml, String field,
      String expected) {
    assertThat(TestMesh.problems(yaml))
        .as(name)
        .anySatisfy(p -> assertThat(p).contains(field).contains(expected));
  }

  @Test
  void invalidConfigs_moreThanThirty() {
    assertThat(invalidConfigs().count()).isGreaterThanOrEqualTo(30);
  }

  @Test
  void parse_severalProblems_reportsAll() {
    assertThat(TestMesh.problems(yaml("""
        extensionProviders:
          - name: otel
            zipkin: {service: z, port: 0, path: spans}
        """, """
        defaultProviders: {tracing: [otel]}
        tracing:
          - randomSamplingPercentage: 140
        """, SERVICES))).hasSize(3);
  }

  @Test
  void parse_gatewayDefaults_port8080_allHosts_firstServiceRepairOff() throws Exception {
    MeshConfig c = ConfigParser.parse(TestMesh.base(), null);
    assertThat(c.gateway().port()).isEqualTo(8080);
    assertThat(c.gateway().address()).isEqualTo("0.0.0.0");
    assertThat(c.gateway().hosts()).containsExactly("*");
    assertThat(c.gateway().routes()).singleElement().satisfies(r -> {
      assertThat(r.prefix()).isEqualTo("/");
      assertThat(r.service()).isEqualTo("productpage");
      assertThat(r.port()).isEqualTo(9080);
    });
    MeshConfig.HeaderRepair h = c.gateway().headerRepair();
    assertThat(h.enabled()).isFalse();
    assertThat(h.extProcPort()).isEqualTo(18080);
    assertThat(h.timeout()).isEqualTo(Duration.ofMillis(200));
    assertThat(h.failureModeAllow()).isTrue();
    assertThat(h.markerHeader()).isEqualTo("x-meshtrace-repair");
  }

  @Test
  void parse_headerRepairEmptyMarker_noTag() throws Exception {
    MeshConfig c = ConfigParser.parse(TestMesh.base() + """
        gateway:
          headerRepair: {enabled: true, markerHeader: "", extProc: {host: ext-proc}}
        """, null);
    assertThat(c.gateway().headerRepair().markerHeader()).isNull();
    assertThat(c.gateway().headerRepair().extProcHost()).isEqualTo("ext-proc");
  }

  @Test
  void parse_servicesExplicitlyEmpty_acceptedAsAMeshWithoutServices() throws Exception {
    String text = PROVIDERS + TRACING + "services: []\n";
    MeshConfig c = ConfigParser.parse(text, null);
    assertThat(c.services()).isEmpty();
    assertThat(c.gateway().routes()).isEmpty();
    assertThat(TestMesh.problems(text)).isEmpty();
  }

  @Test
  void parse_locality_onTheServiceAndNoneWithout() throws Exception {
    MeshConfig c = ConfigParser.parse(TestMesh.base().replace("- name: reviews",
        "- name: reviews\n    locality: {region: us-east1, zone: us-east1-b, subZone: rack_7}"),
        null);
    assertThat(c.service("reviews").locality())
        .isEqualTo(new MeshConfig.Locality("us-east1", "us-east1-b", "rack_7"));
    assertThat(c.service("productpage").locality()).isSameAs(MeshConfig.Locality.NONE);
    assertThat(MeshConfig.Locality.NONE).isEqualTo(new MeshConfig.Locality("", "", ""));
    MeshConfig regionOnly = ConfigParser.parse(TestMesh.base().replace("- name: reviews",
        "- name: reviews\n    locality: {region: eu-west-3}"), null);
    assertThat(regionOnly.service("reviews").locality())
        .isEqualTo(new MeshConfig.Locality("eu-west-3", "", ""));
  }

  @Test
  void parse_customTags_oneRecordPerKindWithEnvoyDefaults() throws Exception {
    MeshConfig c = ConfigParser.parse(yaml(PROVIDERS, """
        defaultProviders: {tracing: [otel]}
        tracing:
          - customTags:
              mesh: {literal: {value: bookinfo}}
              pod: {environment: {name: POD_NAME}}
              user: {header: {name: end-user, defaultValue: anonymous}}
              policy: {metadata: {key: envoy.filters.http.rbac, path: [a, b]}}
        """, SERVICES), null);
    var tags = c.tracing().get(0).customTags();
    assertThat(tags.keySet()).containsExactly("mesh", "pod", "user", "policy");
    assertThat(tags.get("mesh")).isEqualTo(new MeshConfig.CustomTag.Literal(
        "tracing[0].customTags.mesh.literal", "mesh", "bookinfo"));
    assertThat(tags.get("pod")).isEqualTo(new MeshConfig.CustomTag.Environment(
        "tracing[0].customTags.pod.environment", "pod", "POD_NAME", ""));
    assertThat(tags.get("user")).isEqualTo(new MeshConfig.CustomTag.RequestHeader(
        "tracing[0].customTags.user.header", "user", "end-user", "anonymous"));
    assertThat(tags.get("policy")).isEqualTo(new MeshConfig.CustomTag.Metadata(
        "tracing[0].customTags.policy.metadata", "policy", MeshConfig.MetadataKind.REQUEST,
        "envoy.filters.http.rbac", java.util.List.of("a", "b"), ""));
  }

  @Test
  void parse_controlCharacterInKey_escapedInPath() {
    assertThat(TestMesh.problems(TestMesh.base() + "\"trac\\ring\": []\n"))
        .containsExactly("trac\\x0ding=[]: unknown key; expected one of [defaultProviders,"
            + " extensionProviders, gateway, meshConfig, meshVersion, propagation, server,"
            + " services, sidecar, telemetry, tracing]");
  }

  @Test
  void parse_hugeValuesAndManyNames_problemLinesStayShort() {
    StringBuilder y = new StringBuilder("extensionProviders:\n");
    String longName = "p".repeat(10_000);
    for (String name : new String[] {longName, longName}) {
      y.append("  - name: ").append(name).append("\n    zipkin: {service: z, port: 9411}\n");
    }
    y.append("tracing: [{providers: [{name: nope}]}]\nservices:\n");
    for (int i = 0; i < 50; i++) {
      y.append("  - {name: s").append(i).append(", ports: [{number: 80}], dependencies: [x]}\n");
    }
    var problems = TestMesh.problems(y.toString());
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("duplicate provider name"))
        .anySatisfy(p -> assertThat(p).contains("unknown service; defined: [s0, s1, s10,")
            .endsWith(" and 30 more"));
    assertThat(problems).allSatisfy(p -> assertThat(p).hasSizeLessThan(400));
  }

  @Test
  void parseDuration_istioForms() {
    assertThat(ValueSyntax.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(ValueSyntax.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(ValueSyntax.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(ValueSyntax.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(ValueSyntax.parseDuration("10")).isNull();
    assertThat(ValueSyntax.parseDuration("s")).isNull();
  }
}
