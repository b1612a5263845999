package io.meshtrace.sdk.agent;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link PlainHttpApp} in its own JVM under the real OpenTelemetry Java agent with the meshtrace
 * extension: {@code java -javaagent:opentelemetry-javaagent.jar
 * -Dotel.javaagent.extensions=meshtrace-otel-extension.jar -cp <the app's class alone>}.
 */
final class AgentProcess implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("^listening (\\d+)$");

  private final Process process;
  private final List<String> lines = new ArrayList<>();

  private AgentProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          synchronized (lines) {
            lines.add(line);
            lines.notifyAll();
          }
        }
      } catch (IOException e) {
        // process ended
      }
    }, "agent-app-output");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts the app with {@code properties} ({@code -Dkey=value} arguments) and {@code env}
   * added to the environment; the agent's own instrumentations are limited to the JDK HTTP
   * server and client, which keeps its start to a few seconds.
   */
  static AgentProcess start(Map<String, String> env, String... properties) throws IOException {
    String agent = existing("meshtrace.javaagent.jar", "target/javaagent/opentelemetry-javaagent.jar");
    String extension = existing("meshtrace.extension.jar", "target/meshtrace-otel-extension.jar");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx192m", "-XX:TieredStopAtLevel=1",
        "-javaagent:" + agent,
        "-Dotel.javaagent.extensions=" + extension,
        "-Dotel.instrumentation.common.default-enabled=false",
        "-Dotel.instrumentation.java-http-server.enabled=true",
        "-Dotel.instrumentation.java-http-client.enabled=true",
        "-Dotel.metrics.exporter=none",
        "-Dotel.logs.exporter=none",
        "-Dotel.bsp.schedule.delay=100"));
    command.addAll(List.of(properties));
    command.addAll(List.of("-cp", appClassPath().toString(), PlainHttpApp.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    return new AgentProcess(builder.start());
  }

  /** A directory holding PlainHttpApp's classes and nothing else: no OpenTelemetry on the class path. */
  private static synchronized Path appClassPath() throws IOException {
    Path dir = Path.of("target", "plain-app");
    String packagePath = PlainHttpApp.class.getPackageName().replace('.', '/');
    Path source;
    try {
      source = Path.of(PlainHttpApp.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .resolve(packagePath);
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    Path target = dir.resolve(packagePath);
    Files.createDirectories(target);
    try (var files = Files.list(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.equals("PlainHttpApp.class") || name.startsWith("PlainHttpApp$")) {
          Files.copy(file, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return dir.toAbsolutePath();
  }

  private static String existing(String property, String fallback) {
    String path = System.getProperty(property, fallback);
    if (!new File(path).isFile()) {
      throw new IllegalStateException(path + " not found: the build copies it there before integration tests");
    }
    return path;
  }

  int awaitPort() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    synchronized (lines) {
      while (System.nanoTime() < deadline) {
        for (String line : lines) {
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            return Integer.parseInt(m.group(1));
          }
        }
        if (!process.isAlive()) {
          break;
        }
        lines.wait(200);
      }
    }
    throw new AssertionError("the app under the agent did not start listening:\n" + output());
  }

  String output() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
