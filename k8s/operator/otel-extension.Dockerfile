# meshtrace OpenTelemetry Java agent extension image (ghcr.io/meshtrace/otel-extension:0.1.0),
# used by k8s/operator/instrumentation.yaml (spec.java.extensions). The operator runs
#   cp -r /extensions/. <agent dir>/extensions
# in an init container, so the image needs a shell toolbox and the jar in /extensions.
# Build from the repository root, after the module is packaged:
#   mvn -B -pl sdk-bridge -am package -DskipTests
#   docker build -f k8s/operator/otel-extension.Dockerfile -t ghcr.io/meshtrace/otel-extension:0.1.0 .
FROM busybox:1.37
COPY sdk-bridge/target/meshtrace-otel-extension.jar /extensions/meshtrace-otel-extension.jar
USER 10001:10001
