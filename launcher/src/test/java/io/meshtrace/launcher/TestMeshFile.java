package io.meshtrace.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A one-service mesh with header repair on and an admin write token, for launcher tests that
 * change the sampling through the admin API.
 */
final class TestMeshFile {

  private TestMeshFile() {}

  /** Writes {@code token} to {@code dir/token} and the mesh to {@code dir/mesh.yaml}. */
  static Path write(Path dir, String token) throws IOException {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, token + "\n");
    Path config = dir.resolve("mesh.yaml");
    Files.writeString(config, """
        propagation: b3
        extensionProviders:
          - name: zipkin
            zipkin: {service: 127.0.0.1, port: 9411}
        defaultProviders: {tracing: [zipkin]}
        tracing: [{randomSamplingPercentage: 100}]
        services:
          - name: productpage
            ports: [{name: http, number: 9080}]
            endpoints: [{address: 127.0.0.1}]
        gateway:
          headerRepair:
            enabled: true
        server:
          admin: {tokenFile: %s}
        """.formatted(tokenFile.toAbsolutePath()));
    return config;
  }
}
