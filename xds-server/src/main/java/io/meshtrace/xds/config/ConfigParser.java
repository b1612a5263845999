package io.meshtrace.xds.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Reads the mesh YAML (field names follow Istio's {@code extensionProviders}, Telemetry
 * {@code tracing} and ServiceEntry {@code ports}/{@code endpoints}; Istio's own
 * {@code meshConfig} block and {@code Telemetry} resources are read as pasted, see
 * {@link IstioMeshConfigReader} and {@link TelemetryReader}) into a {@link MeshConfig}.
 *
 * <p>All problems are collected, not just the first; each names the key path, the value and what
 * was expected: {@code tracing[0].randomSamplingPercentage=140: must be between 0 and 100}.
 * Unknown keys are errors, so a typo never silently falls back to a default.
 *
 * <p>Three steps: {@link ConfigText} turns text into a tree (strict YAML, one document); one
 * reader per section checks the shape and values of its keys through a {@link ConfigTree};
 * {@link CrossChecks} then checks what sections say about each other and what Envoy can do.
 */
public final class ConfigParser {

  private static final Set<String> SECTIONS = Set.of("meshVersion", "propagation",
      "defaultProviders", "extensionProviders", "tracing", "services", "sidecar", "gateway",
      "server", "meshConfig", "telemetry");

  private ConfigParser() {}

  /**
   * Parses YAML text. Relative file paths (TLS material, token file) resolve against
   * {@code baseDir}.
   *
   * @throws ConfigException with every problem of the text
   */
  public static MeshConfig parse(String yaml, Path baseDir) throws ConfigException {
    return parse(ConfigText.readYaml(yaml), baseDir);
  }

  /**
   * Parses YAML text; header values and tokens given by reference resolve through
   * {@code secrets}.
   *
   * @throws ConfigException with every problem of the text
   */
  public static MeshConfig parse(String yaml, Path baseDir, SecretResolver secrets)
      throws ConfigException {
    return parse(ConfigText.readYaml(yaml), baseDir, secrets);
  }

  /**
   * Parses an already read YAML or JSON tree; references ({@code envName}, {@code file})
   * resolve against this process ({@link LocalSecrets#process()}).
   */
  public static MeshConfig parse(JsonNode root, Path baseDir) throws ConfigException {
    return parse(root, baseDir, LocalSecrets.process());
  }

  /** Parses an already read tree, resolving references through {@code secrets}. */
  public static MeshConfig parse(JsonNode root, Path baseDir, SecretResolver secrets)
      throws ConfigException {
    Problems problems = new Problems();
    ConfigTree tree = ConfigTree.root(root, problems, baseDir).mapping(SECTIONS);
    if (tree == null) {
      problems.throwIfAny();
    }
    References refs = new References();
    IstioMeshConfigReader.Result mesh = IstioMeshConfigReader.read(tree);
    ProvidersReader.Result providers = ProvidersReader.read(mesh.extensionProviders(), secrets);
    TracingReader.Result tracing = TracingReader.read(tree, mesh.defaultProviders(), refs);
    MeshConfig.Sidecar sidecar = SidecarReader.read(tree.at("sidecar"));
    List<MeshConfig.Service> services = ServicesReader.read(tree.at("services"), refs);
    tracing = tracing.withRules(TelemetryReader.read(tree.at("telemetry"),
        mesh.rootNamespace(), services, refs));
    GatewayReader.Draft gateway = GatewayReader.read(tree.at("gateway"), refs);
    MeshConfig.Server server = ServerReader.read(tree.at("server"));

    CrossChecks.references(refs, providers.declared(), services, problems);
    ProvidersReader.checkTracingReferences(refs, providers, problems);
    IstioMeshConfigReader.checkEnableTracing(mesh, tracing, problems);
    CrossChecks.tracing(tracing, providers.providers(), problems);
    MeshConfig.Gateway resolved = CrossChecks.gateway(gateway, services, problems);
    problems.throwIfAny();
    return new MeshConfig(tracing.meshVersion(), tracing.propagation(),
        tracing.propagationExplicit(), providers.providers(), tracing.defaultProviders(),
        tracing.rules(), services, sidecar, resolved, server, problems.warnings());
  }
}
