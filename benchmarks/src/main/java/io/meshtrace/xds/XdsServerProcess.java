package io.meshtrace.xds;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An {@link XdsBenchServerMain} in its own JVM, driven through its standard input. */
final class XdsServerProcess implements AutoCloseable {

  private final Process process;
  private final BufferedReader out;
  private final PrintWriter in;
  private final int port;

  private XdsServerProcess(List<String> command) throws IOException {
    process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.US_ASCII);
    String line = out.readLine();
    while (line != null && !line.startsWith("PORT ")) {
      line = out.readLine();
    }
    if (line == null) {
      process.destroyForcibly();
      throw new IOException("xDS server exited before printing its port: " + command);
    }
    port = Integer.parseInt(line.substring(5).trim());
  }

  static XdsServerProcess start(String kind, int services, String heap, String... sampling)
      throws IOException {
    String java = ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    List<String> command = new ArrayList<>(List.of(java, "-Xms" + heap, "-Xmx" + heap));
    // Extra server JVM flags, separated by spaces or |, e.g.
    // -Dbench.serverJvmArgs=-XX:+UnlockDiagnosticVMOptions|-XX:StartFlightRecording=filename=s.jfr
    String extra = System.getProperty("bench.serverJvmArgs", "").trim();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("[\\s|]+")));
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        XdsBenchServerMain.class.getName(), kind, Integer.toString(services)));
    command.addAll(List.of(sampling));
    return new XdsServerProcess(command);
  }

  int port() {
    return port;
  }

  /** Sends a command line without waiting. */
  void send(String command) {
    in.println(command);
  }

  /** Reads the answer line that starts with {@code prefix}; returns the rest. */
  String answer(String prefix) throws IOException {
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(prefix + " ")) {
        return line.substring(prefix.length() + 1).trim();
      }
      if (line.startsWith("ERROR")) {
        throw new IOException("xDS server: " + line);
      }
    }
    throw new IOException("xDS server exited while waiting for " + prefix);
  }

  long heapUsed() throws IOException {
    send("heap");
    return Long.parseLong(answer("HEAP"));
  }

  @Override
  public void close() throws InterruptedException {
    in.close();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
