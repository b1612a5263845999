package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The shaded jar as a process: serve on ports 0, answer, drain on SIGTERM; explain; bad config. */
class ExtProcJarIT {

  private static final Pattern LISTENING =
      Pattern.compile("ext-proc listening grpc=127\\.0\\.0\\.1:(\\d+) admin=127\\.0\\.0\\.1:(\\d+)");

  private static Path jar() {
    Path jar = Path.of(System.getProperty("extproc.jar", "target/ext-proc.jar"));
    assertThat(jar).as("the shaded jar (mvn package)").isRegularFile();
    return jar;
  }

  private static ProcessBuilder java(String... args) {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String[] command = new String[args.length + 3];
    command[0] = javaBin;
    command[1] = "-jar";
    command[2] = jar().toString();
    System.arraycopy(args, 0, command, 3, args.length);
    return new ProcessBuilder(command);
  }

  @Test
  void serve_printsOneLineWithBothPorts_servesAndDrainsOnSigterm() throws Exception {
    Path log = Files.createTempFile("ext-proc", ".log");
    Process process = java("serve", "--address", "127.0.0.1", "--port", "0",
        "--admin.address", "127.0.0.1", "--admin-port", "0", "--server.drain-timeout", "2s")
        .redirectError(log.toFile())
        .start();
    try {
      BufferedReader stdout = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = stdout.readLine();
      List<String> laterLines = new CopyOnWriteArrayList<>();
      Thread reader = new Thread(() -> stdout.lines().forEach(laterLines::add));
      reader.start();
      assertThat(line).as("first stdout line; stderr: %s", Files.readString(log)).isNotNull();
      Matcher matcher = LISTENING.matcher(line);
      assertThat(matcher.matches()).as(line).isTrue();
      int grpcPort = Integer.parseInt(matcher.group(1));
      int adminPort = Integer.parseInt(matcher.group(2));

      ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", grpcPort,
          InsecureChannelCredentials.create()).build();
      try {
        var response = new RawExtProcClient(channel).requestHeaders(
            EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID));
        assertThat(RepairedRequest.apply(
                EnvoyHeaders.request().raw("x-b3-traceid", HeaderRulesEndToEndTest.B3_TID).map(), response)
            .w3c().getTraceId()).isEqualTo(HeaderRulesEndToEndTest.B3_TID);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + adminPort + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body())
          .contains("meshtrace_extproc_requests_total{reason=\"b3-span-id-missing\",verdict=\"repair\"} 1.0")
          .contains("jvm_memory_used_bytes{")
          .contains("process_cpu_seconds_total ")
          .containsPattern("meshtrace_build_info\\{service=\"ext-proc\",version=\"[^\"]+\"} 1");

      process.destroy(); // SIGTERM
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
      String stderr = Files.readString(log);
      assertThat(stderr).contains("shutdown requested").contains("ext_proc service stopped");
      reader.join(5_000);
      assertThat(laterLines).as("only one stdout line").isEmpty();
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(log);
    }
  }

  @Test
  void explain_runsFromTheJar() throws Exception {
    Process process = java("explain").redirectErrorStream(true).start();
    process.getOutputStream().write(
        "x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\n".getBytes(StandardCharsets.US_ASCII));
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("reason:   b3-span-id-missing");
  }

  /** The shaded jar's command line: help and version exit 0, a bad flag exits 2 naming it. */
  @Test
  void commandLine_helpVersionAndBadFlag() throws Exception {
    record Row(List<String> args, int exit, String output) {}
    for (Row row : List.of(
        new Row(List.of("--version"), 0, "ext-proc "),
        new Row(List.of("serve", "--help"), 0, "usage: ext-proc serve"),
        new Row(List.of("serve", "--no-such-flag=1"), 2, "--no-such-flag"))) {
      Process process = java(row.args().toArray(new String[0])).redirectErrorStream(true).start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as(row + ": " + output).isEqualTo(row.exit());
      assertThat(output).as(row.toString()).contains(row.output());
    }
  }

  @Test
  void badConfig_exitsNonZero_namingKeyAndValue() throws Exception {
    Process process = java("serve", "--limits.max-concurrent-streams", "0")
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(3);
    assertThat(output).contains(
        "limits.max-concurrent-streams=0: must be an integer between 1 and 1000000");
  }
}
