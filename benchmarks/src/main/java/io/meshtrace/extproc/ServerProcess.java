package io.meshtrace.extproc;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BenchServerMain} in a JVM of its own, so that the client's and the server's
 * allocation, GC and JIT do not mix; both still share this machine's cores, as Envoy and
 * its ext_proc server do on a gateway node.
 */
final class ServerProcess implements AutoCloseable {

  private final Process process;
  private final int port;

  private ServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts {@code kind} (meshtrace or noop) with the given heap and waits until it serves. */
  static ServerProcess start(String kind, String heap) throws IOException {
    String java = ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-Xms" + heap);
    command.add("-Xmx" + heap);
    // Extra server JVM flags, separated by spaces or |, "{kind}" replaced by the server's kind, e.g.
    // -Dbench.serverJvmArgs=-XX:+UnlockDiagnosticVMOptions|-XX:StartFlightRecording=filename={kind}.jfr
    String extra = System.getProperty("bench.serverJvmArgs", "").trim().replace("{kind}", kind);
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("[\\s|]+")));
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(BenchServerMain.class.getName());
    command.add(kind);
    Process process = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("PORT ")) {
        return new ServerProcess(process, Integer.parseInt(line.substring(5).trim()));
      }
    }
    process.destroyForcibly();
    throw new IOException("server " + kind + " exited with " + waitExit(process)
        + " before printing its port: " + command);
  }

  private static int waitExit(Process process) {
    try {
      return process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  /** CPU time the server JVM has used so far, all threads. */
  Duration cpuTime() {
    return process.info().totalCpuDuration().orElseThrow(
        () -> new IllegalStateException("no CPU time for pid " + process.pid()));
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
