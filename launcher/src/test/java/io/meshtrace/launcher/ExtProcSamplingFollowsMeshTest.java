package io.meshtrace.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ext-proc's new-trace sampling follows the mesh's random sampling while the launcher runs: a
 * {@code PUT /config/tracing} or an edit of the served file changes the {@code traceparent}
 * sampled flag ext-proc writes on the next request that starts a trace (real ext_proc streams
 * to the launcher's ext-proc); a PUT xds-server refuses changes nothing.
 */
class ExtProcSamplingFollowsMeshTest {
  private static final String TOKEN = "launcher-sampling-token";
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path dir;

  private MeshRun run;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    Path config = TestMeshFile.write(dir, TOKEN);
    run = MeshRun.start(new LaunchOptions(0, 0, 0, 0, dir.resolve("run"), config));
    channel = Grpc.newChannelBuilder("127.0.0.1:" + run.extProcPort(),
        InsecureChannelCredentials.create()).build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (run != null) {
      run.close();
    }
  }

  @Test
  void putRandomSampling_newTracesFollowAtOnce_refusedPutChangesNothing() throws Exception {
    assertThat(newTraceSampled()).isTrue();

    assertThat(putTracing("{\"tracing\":[{\"randomSamplingPercentage\":0}]}")).isEqualTo(200);
    assertThat(run.newTraceSamplingPercent()).isEqualTo(0.0);
    for (int i = 0; i < 5; i++) {
      assertThat(newTraceSampled()).as("request %d after the PUT", i).isFalse();
    }

    assertThat(putTracing("{\"tracing\":[{\"randomSamplingPercentage\":140}]}")).isEqualTo(400);
    assertThat(run.newTraceSamplingPercent()).isEqualTo(0.0);
    assertThat(newTraceSampled()).isFalse();

    assertThat(putTracing("{\"tracing\":[{\"randomSamplingPercentage\":100}]}")).isEqualTo(200);
    assertThat(newTraceSampled()).isTrue();
  }

  @Test
  void servedFileEdited_newTracesFollow() throws Exception {
    Path served = dir.resolve("run").resolve(MeshRun.CONFIG_FILE);
    String text = Files.readString(served, StandardCharsets.UTF_8);
    assertThat(text).contains("randomSamplingPercentage: 100");
    // Written aside and moved in, as editors do: the watcher never reads half a file.
    Path edited = dir.resolve("edited.yaml");
    Files.writeString(edited, text.replace("randomSamplingPercentage: 100",
        "randomSamplingPercentage: 0"), StandardCharsets.UTF_8);
    Files.move(edited, served, StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (run.newTraceSamplingPercent() != 0.0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(run.newTraceSamplingPercent()).as("after the file edit").isEqualTo(0.0);
    assertThat(newTraceSampled()).isFalse();
  }

  private int putTracing(String body) throws Exception {
    HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + run.xds().adminPort() + "/config/tracing"))
        .PUT(HttpRequest.BodyPublishers.ofString(body))
        .header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
    return put.statusCode();
  }

  /**
   * One ext_proc stream carrying request headers without any trace context (ext-proc starts the
   * trace): the sampled bit of the {@code traceparent} flags it sets (bit 1 is W3C level 2's
   * random-trace-id flag).
   */
  private boolean newTraceSampled() throws Exception {
    CompletableFuture<ProcessingResponse> answer = new CompletableFuture<>();
    StreamObserver<ProcessingRequest> requests = ExternalProcessorGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .process(new StreamObserver<>() {
          @Override
          public void onNext(ProcessingResponse value) {
            answer.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            answer.completeExceptionally(new AssertionError("stream ended without an answer"));
          }
        });
    requests.onNext(ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(HeaderMap.newBuilder()
            .addHeaders(HeaderValue.newBuilder().setKey(":method").setValue("GET"))
            .addHeaders(HeaderValue.newBuilder().setKey(":path").setValue("/productpage"))
            .addHeaders(HeaderValue.newBuilder().setKey(":authority").setValue("bookinfo"))))
        .build());
    ProcessingResponse response = answer.get(10, TimeUnit.SECONDS);
    requests.onCompleted();
    String traceparent = null;
    for (HeaderValueOption o : response.getRequestHeaders().getResponse().getHeaderMutation()
        .getSetHeadersList()) {
      if (o.getHeader().getKey().equals("traceparent")) {
        traceparent = o.getHeader().getValue().isEmpty()
            ? o.getHeader().getRawValue().toStringUtf8() : o.getHeader().getValue();
      }
    }
    assertThat(traceparent).as("traceparent set by ext-proc in %s", response)
        .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    return (Character.digit(traceparent.charAt(traceparent.length() - 1), 16) & 1) == 1;
  }
}
