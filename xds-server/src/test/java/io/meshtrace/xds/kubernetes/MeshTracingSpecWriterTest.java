package io.meshtrace.xds.kubernetes;

import static io.meshtrace.xds.kubernetes.MockApiServer.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Admin writes through the API: optimistic concurrency on the CRUD mock (not a kube-apiserver). */
class MeshTracingSpecWriterTest {
  static final AtomicInteger NAMES = new AtomicInteger();
  static MockApiServer api;
  static KubernetesClient client;
  MeshTracingRef ref;

  @BeforeAll
  static void startApi() {
    api = new MockApiServer();
    client = api.client();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  @BeforeEach
  void create() {
    ref = new MeshTracingRef("meshtrace", "writes-" + NAMES.incrementAndGet());
    MockApiServer.create(client, ref, spec("{\"tracing\": [{\"randomSamplingPercentage\": 1}]}"));
  }

  MeshTracingSnapshot read() {
    return MeshTracingSnapshot.of(ref, MockApiServer.resource(client, ref).get());
  }

  static String sampling(int percent) {
    return "{\"tracing\": [{\"randomSamplingPercentage\": " + percent + "}]}";
  }

  @Test
  void replaceSpec_currentRead_writtenWithTheNewGeneration() {
    MeshTracingSnapshot read = read();

    SpecWriteResult r = new MeshTracingSpecWriter(api.client(), ref).replaceSpec(read, spec(sampling(5)));

    assertThat(r).isInstanceOfSatisfying(SpecWriteResult.Written.class, w -> {
      assertThat(w.generation()).isEqualTo(read.generation() + 1);
      assertThat(w.resourceVersion()).isNotEqualTo(read.resourceVersion());
    });
    assertThat(read().spec().at("/tracing/0/randomSamplingPercentage").asInt()).isEqualTo(5);
  }

  @Test
  void replaceSpec_twoWritersRacingOnTheSameRead_oneWrittenOneConflict() throws Exception {
    MeshTracingSnapshot read = read();
    MeshTracingSpecWriter a = new MeshTracingSpecWriter(api.client(), ref);
    MeshTracingSpecWriter b = new MeshTracingSpecWriter(api.client(), ref);
    CyclicBarrier go = new CyclicBarrier(2);

    CompletableFuture<SpecWriteResult> ra = CompletableFuture.supplyAsync(() -> {
      await(go);
      return a.replaceSpec(read, spec(sampling(20)));
    });
    CompletableFuture<SpecWriteResult> rb = CompletableFuture.supplyAsync(() -> {
      await(go);
      return b.replaceSpec(read, spec(sampling(30)));
    });
    List<SpecWriteResult> results = List.of(ra.get(10, TimeUnit.SECONDS), rb.get(10, TimeUnit.SECONDS));

    assertThat(results).filteredOn(SpecWriteResult.Written.class::isInstance).hasSize(1);
    assertThat(results).filteredOn(SpecWriteResult.Conflict.class::isInstance).hasSize(1);
    SpecWriteResult.Written won = (SpecWriteResult.Written) results.stream()
        .filter(SpecWriteResult.Written.class::isInstance).findFirst().orElseThrow();
    SpecWriteResult.Conflict lost = (SpecWriteResult.Conflict) results.stream()
        .filter(SpecWriteResult.Conflict.class::isInstance).findFirst().orElseThrow();
    MeshTracingSnapshot now = read();
    assertThat(lost.currentGeneration()).isEqualTo(won.generation()).isEqualTo(now.generation());
    assertThat(lost.currentResourceVersion()).isEqualTo(now.resourceVersion());
    int stored = now.spec().at("/tracing/0/randomSamplingPercentage").asInt();
    assertThat(stored).as("exactly one of the two writes").isIn(20, 30);
    assertThat(stored).isEqualTo(results.get(0) == won ? 20 : 30);
  }

  @Test
  void replaceSpec_specChangedAfterTheRead_conflictAndNothingWritten() {
    MeshTracingSnapshot read = read();
    MockApiServer.editSpec(client, ref, spec(sampling(40))); // kubectl edit meanwhile

    SpecWriteResult r = new MeshTracingSpecWriter(api.client(), ref).replaceSpec(read, spec(sampling(50)));

    assertThat(r).isEqualTo(new SpecWriteResult.Conflict(read.generation() + 1, read().resourceVersion()));
    assertThat(read().spec().at("/tracing/0/randomSamplingPercentage").asInt()).isEqualTo(40);
  }

  @Test
  void replaceSpec_onlyStatusChangedAfterTheRead_writtenWithoutAConflict() {
    MeshTracingSnapshot read = read();
    GenericKubernetesResource cur = MockApiServer.resource(client, ref).get();
    cur.setAdditionalProperty("status", Map.of("observedGeneration", 1, "servedVersion", "v1"));
    client.resource(cur).updateStatus();
    assertThat(read().resourceVersion()).isNotEqualTo(read.resourceVersion());

    SpecWriteResult r = new MeshTracingSpecWriter(api.client(), ref).replaceSpec(read, spec(sampling(60)));

    assertThat(r).isInstanceOf(SpecWriteResult.Written.class);
    MeshTracingSnapshot now = read();
    assertThat(now.spec().at("/tracing/0/randomSamplingPercentage").asInt()).isEqualTo(60);
    assertThat(now.status()).containsEntry("servedVersion", "v1");
  }

  @Test
  void replaceSpec_resourceDeleted_notFound() {
    MeshTracingSnapshot read = read();
    MockApiServer.resource(client, ref).delete();

    assertThat(new MeshTracingSpecWriter(api.client(), ref).replaceSpec(read, spec(sampling(1))))
        .isEqualTo(new SpecWriteResult.NotFound(ref));
  }

  private static void await(CyclicBarrier b) {
    try {
      b.await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
