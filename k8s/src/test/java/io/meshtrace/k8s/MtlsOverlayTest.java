package io.meshtrace.k8s;

import static io.meshtrace.k8s.RenderedOverlayTest.assertServeContract;
import static io.meshtrace.k8s.RenderedOverlayTest.mountedFile;
import static io.meshtrace.k8s.RenderedOverlayTest.name;
import static io.meshtrace.k8s.RenderedOverlayTest.podSpec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.meshtrace.extproc.config.ExtProcConfig;
import io.meshtrace.extproc.config.ExtProcConfigParser;
import io.meshtrace.xds.bootstrap.EnvoyBootstrap;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import io.meshtrace.xds.snapshot.NodeRole;
import io.meshtrace.xds.snapshot.VersionedSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * overlays/mtls (components/mtls + components/cert-manager): every TLS file a container is
 * given is a key of a Secret mounted in it and made by a cert-manager Certificate, the names
 * Envoy sends as SNI and checks in the server certificates are those certificates' DNS SANs,
 * and the configs that name the files are read by the real xds-server and ext-proc parsers.
 */
class MtlsOverlayTest {
  private static final String OVERLAY = "overlays/mtls";
  /** The keys cert-manager writes into a Certificate's Secret. */
  private static final Set<String> CERT_MANAGER_KEYS = Set.of("tls.crt", "tls.key", "ca.crt");
  private static final String TLS_SOCKET = "envoy.transport_sockets.tls";
  /** Where components/mtls mounts each container's certificate Secret. */
  private static final String MOUNT = "/etc/tls";
  private static Path secretMount;

  static Kustomize.Build build() {
    return RenderedOverlayTest.build(OVERLAY);
  }

  /**
   * The mTLS config as xds-server parses it. xds-server checks at parse time that the files of
   * {@code server.ads.tls} are readable, so for the parse they are empty files in a temporary
   * folder standing in for the Secret's mount ({@link #adsTlsFiles} gives the shipped paths).
   * The gateway's TLS paths are not read by xds-server and stay as shipped.
   */
  static MeshConfig mtlsXds() {
    try {
      return ConfigParser.parse(xdsYamlWithFilesIn(secretMount()), null);
    } catch (ConfigException e) {
      throw new AssertionError(Layout.MTLS_XDS + ": " + e.errors());
    }
  }

  /** server.ads.tls's certChain, privateKey and clientCa, as the shipped file names them. */
  static List<String> adsTlsFiles() {
    Path mount = secretMount();
    MeshConfig.Tls t = mtlsXds().server().tls();
    List<String> out = new ArrayList<>();
    for (Path p : List.of(t.certChain(), t.privateKey(), t.clientCa())) {
      assertThat(p).as("file of server.ads.tls under the Secret's mount").startsWith(mount);
      out.add(MOUNT + "/" + mount.relativize(p));
    }
    return out;
  }

  private static String xdsYamlWithFilesIn(Path mount) {
    String yaml = ModuleTree.read(ModuleTree.file(Layout.MTLS_XDS));
    int server = yaml.indexOf("\nserver:");
    assertThat(server).as("%s has a server section", Layout.MTLS_XDS).isPositive();
    return yaml.substring(0, server) + yaml.substring(server).replace(MOUNT + "/", mount + "/");
  }

  private static synchronized Path secretMount() {
    if (secretMount == null) {
      try {
        Path mount = Files.createTempDirectory("mtls-secret");
        mount.toFile().deleteOnExit();
        for (String key : CERT_MANAGER_KEYS) {
          Files.writeString(mount.resolve(key), "");
          mount.resolve(key).toFile().deleteOnExit();
        }
        secretMount = mount;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return secretMount;
  }

  static Bootstrap bootstrap() {
    return EnvoyConfigTest.load(Layout.MTLS_BOOTSTRAP);
  }

  static UpstreamTlsContext tlsContext(Cluster c) {
    assertThat(c.getTransportSocket().getName()).as("transport socket of cluster %s", c.getName()).isEqualTo(TLS_SOCKET);
    return EnvoyJson.unpack(c.getTransportSocket().getTypedConfig(), UpstreamTlsContext.class);
  }

  static Cluster xdsCluster(Bootstrap b) {
    return b.getStaticResources().getClustersList().stream()
        .filter(c -> c.getName().equals(EnvoyBootstrap.XDS_CLUSTER)).findFirst().orElseThrow();
  }

  static Cluster extProcCluster() {
    MeshSnapshots.Result r = MeshSnapshots.build(mtlsXds(), "gateway/meshtrace-gateway");
    assertThat(r.errors()).isEmpty();
    VersionedSnapshot s = r.snapshot();
    return s.clusters().resources().get("ext_proc");
  }

  /** The files an UpstreamTlsContext makes Envoy read. */
  static List<String> files(UpstreamTlsContext t) {
    CommonTlsContext c = t.getCommonTlsContext();
    List<String> out = new ArrayList<>();
    out.add(c.getValidationContext().getTrustedCa().getFilename());
    c.getTlsCertificatesList().forEach(cert -> {
      out.add(cert.getCertificateChain().getFilename());
      out.add(cert.getPrivateKey().getFilename());
    });
    return out;
  }

  /** Secret name -> Certificate spec, for every Certificate of the overlay. */
  static Map<String, JsonNode> certificatesBySecret(Kustomize.Build b) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (ObjectNode c : b.ofKind("Certificate")) {
      assertThat(out.put(c.path("spec").path("secretName").asText(), c.path("spec")))
          .as("two Certificates write Secret %s", c.path("spec").path("secretName").asText()).isNull();
    }
    return out;
  }

  /**
   * The Secret behind a file path in the Deployment's first container: the path must be
   * mountPath/key of a Secret volume, the key one cert-manager writes, the Secret one a
   * Certificate of the overlay makes. Returns that Secret's name.
   */
  static String secretOf(Kustomize.Build b, String deployment, String file) {
    ObjectNode d = b.get("Deployment", "meshtrace", deployment);
    for (JsonNode m : podSpec(d).path("containers").get(0).path("volumeMounts")) {
      String dir = m.path("mountPath").asText() + "/";
      if (!file.startsWith(dir)) {
        continue;
      }
      for (JsonNode v : podSpec(d).path("volumes")) {
        if (v.path("name").equals(m.path("name")) && v.has("secret")) {
          String key = file.substring(dir.length());
          assertThat(CERT_MANAGER_KEYS).as("%s in %s: a key of the Secret", file, deployment).contains(key);
          assertThat(v.path("secret").has("items")).as("all keys of the Secret are mounted").isFalse();
          String secret = v.path("secret").path("secretName").asText();
          assertThat(certificatesBySecret(b)).as("Secret %s is made by a Certificate", secret).containsKey(secret);
          return secret;
        }
      }
    }
    throw new AssertionError(file + " is not in a Secret mounted in " + deployment);
  }

  static List<String> dnsNames(JsonNode certificateSpec) {
    List<String> out = new ArrayList<>();
    certificateSpec.path("dnsNames").forEach(n -> out.add(n.asText()));
    return out;
  }

  static List<String> usages(JsonNode certificateSpec) {
    List<String> out = new ArrayList<>();
    certificateSpec.path("usages").forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void mtlsBootstrap_equalsWhatXdsServerPrints_andDecodesWithTheTlsSocket() {
    EnvoyBootstrap.Options o = new EnvoyBootstrap.Options("meshtrace-gateway", "meshtrace-gateway", NodeRole.GATEWAY,
        "xds-server.meshtrace.svc", 18000, 15000, true,
        EnvoyBootstrap.tls("/etc/tls/ca.crt", "/etc/tls/tls.crt", "/etc/tls/tls.key", null));
    assertThat(ModuleTree.read(ModuleTree.file(Layout.MTLS_BOOTSTRAP)))
        .as("regenerate with: java -jar xds-server/target/xds-server.jar %s > k8s/%s",
            o.commandLine().substring("xds-server ".length()), Layout.MTLS_BOOTSTRAP)
        .isEqualTo(EnvoyBootstrap.yaml(o));
    assertThat(bootstrap()).isEqualTo(EnvoyBootstrap.proto(o));

    UpstreamTlsContext t = tlsContext(xdsCluster(bootstrap()));
    assertThat(t.getSni()).isEqualTo("xds-server.meshtrace.svc");
    assertThat(t.getCommonTlsContext().getTlsCertificatesCount()).as("a client certificate: mTLS").isEqualTo(1);
    assertThat(t.getCommonTlsContext().getValidationContext().getMatchTypedSubjectAltNamesList())
        .singleElement().satisfies(m -> assertThat(m.getMatcher().getExact()).isEqualTo("xds-server.meshtrace.svc"));
    // Apart from the socket, the same bootstrap as the plaintext one.
    Bootstrap plain = EnvoyConfigTest.load("envoy/gateway-bootstrap.yaml");
    Bootstrap.Builder stripped = bootstrap().toBuilder();
    stripped.getStaticResourcesBuilder().getClustersBuilder(0).clearTransportSocket();
    assertThat(stripped.build()).isEqualTo(plain);
  }

  @Test
  void overlay_runsXdsServerOnTheMtlsConfigFile_andTheGatewayOnTheMtlsBootstrap() {
    Kustomize.Build b = build();
    assertServeContract(b, "xds-server", 18000, 18001, "/etc/meshtrace/xds.yaml");
    assertThat(mountedFile(b, b.get("Deployment", "meshtrace", "xds-server"), "/etc/meshtrace/xds.yaml"))
        .isEqualTo(ModuleTree.read(ModuleTree.file(Layout.MTLS_XDS)));

    ObjectNode gw = b.get("Deployment", "meshtrace", "meshtrace-gateway");
    List<String> args = new ArrayList<>();
    podSpec(gw).path("containers").get(0).path("args").forEach(a -> args.add(a.asText()));
    assertThat(mountedFile(b, gw, args.get(args.indexOf("--config-path") + 1)))
        .isEqualTo(ModuleTree.read(ModuleTree.file(Layout.MTLS_BOOTSTRAP)));
  }

  @Test
  void mtlsXdsConfig_isTheStandaloneConfigPlusTls() {
    MeshConfig c = mtlsXds();
    assertThat(c.warnings()).isEmpty();
    assertThat(MeshSnapshots.errors(MeshSnapshots.buildAll(c, Set.of()))).isEmpty();
    MeshConfig.Tls ads = c.server().tls();
    assertThat(ads).as("server.ads.tls").isNotNull();
    assertThat(ads.requireClientCert()).as("mTLS required on ADS").isTrue();
    assertThat(ads.clientCa()).isNotNull();
    assertThat(c.gateway().headerRepair().tls()).as("gateway.headerRepair.extProc.tls").isNotNull();

    ObjectNode mtls = ModuleTree.single(ModuleTree.file(Layout.MTLS_XDS));
    ((ObjectNode) mtls.path("server").path("ads")).remove("tls");
    ((ObjectNode) mtls.path("gateway").path("headerRepair").path("extProc")).remove("tls");
    assertThat(mtls).as("%s without its tls keys", Layout.MTLS_XDS).isEqualTo(ComponentConfigTest.xds());
  }

  @Test
  void xdsServer_tlsFiles_areKeysOfItsMountedCertificateSecret() {
    Kustomize.Build b = build();
    Set<String> secrets = new TreeSet<>();
    for (String f : adsTlsFiles()) {
      secrets.add(secretOf(b, "xds-server", f));
    }
    assertThat(secrets).containsExactly("xds-server-tls");
  }

  @Test
  void extProc_servesMtls_withTheFilesOfItsMountedCertificateSecret(@TempDir Path tmp) throws Exception {
    Kustomize.Build b = build();
    List<String> args = new ArrayList<>();
    podSpec(b.get("Deployment", "meshtrace", "ext-proc")).path("containers").get(0).path("args").forEach(a -> args.add(a.asText()));
    List<String> plain = new ArrayList<>();
    podSpec(OverlayContractTest.standalone().get("Deployment", "meshtrace", "ext-proc")).path("containers").get(0).path("args")
        .forEach(a -> plain.add(a.asText()));
    assertThat(args.subList(0, plain.size())).as("the standalone command line, then the TLS flags").isEqualTo(plain);
    assertThat(args).hasSize(plain.size() + 6);
    Map<String, String> tls = new TreeMap<>();
    for (String key : List.of("tls.cert-chain", "tls.private-key", "tls.client-ca")) {
      int i = args.indexOf("--" + key);
      assertThat(i).as("--%s on ext-proc's command line", key).isPositive();
      tls.put(key, args.get(i + 1));
    }
    Set<String> secrets = new TreeSet<>();
    tls.values().forEach(f -> secrets.add(secretOf(b, "ext-proc", f)));
    assertThat(secrets).containsExactly("ext-proc-tls");

    // ext-proc's own parser reads that command line (the files stand in at a temporary place).
    List<String> parsed = new ArrayList<>();
    for (String a : args.subList(args.indexOf("--bind") + 2, args.size())) {
      if (a.startsWith("/etc/tls/")) {
        Path f = tmp.resolve(a.substring("/etc/tls/".length()));
        Files.writeString(f, "pem");
        parsed.add(f.toString());
      } else if (a.equals("/etc/meshtrace/ext-proc.yaml")) {
        parsed.add(ModuleTree.file(ComponentConfigTest.EXT_PROC_FILE).toString());
      } else {
        parsed.add(a);
      }
    }
    ExtProcConfig c = ExtProcConfigParser.fromArgs(parsed.toArray(String[]::new));
    assertThat(c.tls()).isNotNull();
    assertThat(c.tls().clientCa()).as("clients must present a certificate").isNotNull();
  }

  @Test
  void gateway_tlsFiles_ofBothClusters_areKeysOfItsMountedCertificateSecret() {
    Kustomize.Build b = build();
    Set<String> secrets = new TreeSet<>();
    for (UpstreamTlsContext t : List.of(tlsContext(xdsCluster(bootstrap())), tlsContext(extProcCluster()))) {
      assertThat(t.getCommonTlsContext().getTlsCertificatesCount()).as("client certificate (mTLS)").isEqualTo(1);
      files(t).forEach(f -> secrets.add(secretOf(b, "meshtrace-gateway", f)));
    }
    assertThat(secrets).containsExactly("meshtrace-gateway-tls");
  }

  @Test
  void sniAndCheckedNames_areDnsSansOfTheServersCertificates_andResolveToTheirServices() {
    Kustomize.Build b = build();
    Map<String, JsonNode> certs = certificatesBySecret(b);
    record Hop(String server, UpstreamTlsContext tls, Cluster cluster) {}
    Cluster xds = xdsCluster(bootstrap());
    Cluster extProc = extProcCluster();
    for (Hop h : List.of(new Hop("xds-server", tlsContext(xds), xds), new Hop("ext-proc", tlsContext(extProc), extProc))) {
      String secret = secretOf(b, h.server(), mountedCertChain(b, h.server()));
      List<String> sans = dnsNames(certs.get(secret));
      assertThat(sans).as("SANs of %s", secret).contains(h.tls().getSni());
      assertThat(h.tls().getCommonTlsContext().getValidationContext().getMatchTypedSubjectAltNamesList())
          .as("names Envoy checks in %s's certificate", h.server()).isNotEmpty()
          .allSatisfy(m -> assertThat(sans).contains(m.getMatcher().getExact()));
      assertThat(usages(certs.get(secret))).as("usages of %s", secret).contains("server auth");
      for (ServiceAddress a : OverlayContractTest.dnsClusterAddresses(List.of(h.cluster()))) {
        assertThat(a.service() + "." + a.namespace() + ".svc").as("SNI is the Service name Envoy connects to").isEqualTo(h.tls().getSni());
        RenderedOverlayTest.assertResolves(b, a);
        assertThat(name(b.get("Service", a.namespace(), a.service()))).isEqualTo(h.server());
      }
    }
    assertThat(usages(certs.get("meshtrace-gateway-tls"))).contains("client auth");
  }

  /** The certificate file a server is started with (xds-server from its config, ext-proc from its flags). */
  private static String mountedCertChain(Kustomize.Build b, String server) {
    if (server.equals("xds-server")) {
      return adsTlsFiles().get(0);
    }
    List<String> args = new ArrayList<>();
    podSpec(b.get("Deployment", "meshtrace", server)).path("containers").get(0).path("args").forEach(a -> args.add(a.asText()));
    return args.get(args.indexOf("--tls.cert-chain") + 1);
  }

  @Test
  void certificateSecrets_areReadableByThePodsGroupOnly() {
    Kustomize.Build b = build();
    for (String d : List.of("xds-server", "ext-proc", "meshtrace-gateway")) {
      JsonNode pod = podSpec(b.get("Deployment", "meshtrace", d));
      int group = pod.path("securityContext").path("runAsGroup").asInt(-1);
      assertThat(pod.path("securityContext").path("fsGroup").asInt(-2)).as("fsGroup of %s", d).isEqualTo(group);
      int secrets = 0;
      for (JsonNode v : pod.path("volumes")) {
        if (v.has("secret")) {
          secrets++;
          assertThat(v.path("secret").path("defaultMode").asInt()).as("mode of Secret volume %s in %s", v.path("name").asText(), d)
              .isEqualTo(0440);
        }
      }
      assertThat(secrets).as("Secret volumes of %s", d).isEqualTo(1);
    }
  }

  @Test
  void certificates_areIssuedByOneCaBootstrappedFromASelfSignedIssuer_withKeysTheJvmReads() {
    Kustomize.Build b = build();
    Map<String, JsonNode> certs = certificatesBySecret(b);
    ObjectNode selfSigned = b.get("Issuer", "meshtrace", "meshtrace-selfsigned");
    assertThat(selfSigned.path("spec").has("selfSigned")).isTrue();
    ObjectNode ca = b.get("Issuer", "meshtrace", "meshtrace-ca");
    JsonNode caCert = certs.get(ca.path("spec").path("ca").path("secretName").asText());
    assertThat(caCert).as("the CA Issuer's Secret is made by a Certificate").isNotNull();
    assertThat(caCert.path("isCA").asBoolean()).isTrue();
    assertThat(caCert.path("issuerRef").path("name").asText()).isEqualTo(name(selfSigned));
    assertThat(caCert.path("issuerRef").path("kind").asText()).isEqualTo("Issuer");

    assertThat(certs).containsOnlyKeys("meshtrace-ca", "xds-server-tls", "ext-proc-tls", "meshtrace-gateway-tls");
    for (String s : List.of("xds-server-tls", "ext-proc-tls", "meshtrace-gateway-tls")) {
      JsonNode spec = certs.get(s);
      assertThat(spec.path("isCA").asBoolean(false)).as("%s is no CA", s).isFalse();
      assertThat(spec.path("issuerRef").path("name").asText()).as("issuer of %s", s).isEqualTo(name(ca));
      assertThat(spec.path("issuerRef").path("kind").asText()).isEqualTo("Issuer");
      // xds-server and ext-proc take PKCS#8 PEM keys; cert-manager's default is PKCS#1.
      assertThat(spec.path("privateKey").path("encoding").asText()).as("key encoding of %s", s).isEqualTo("PKCS8");
    }
  }
}
