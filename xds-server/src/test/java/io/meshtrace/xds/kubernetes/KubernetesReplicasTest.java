package io.meshtrace.xds.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigText;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two xds-server replicas on {@code --source kubernetes}, in this JVM, against one API server:
 * fabric8's kubernetes-server-mock in CRUD mode (not a real kube-apiserver; see
 * {@link MockApiServer}). Each replica has grpc-java's xDS client connected.
 */
class KubernetesReplicasTest {
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final String LISTENERS = "listeners";
  static MockApiServer api;
  static KubernetesClient kubectl;

  @TempDir
  Path dir;
  Path token;
  MeshTracingRef ref;
  final List<Replica> replicas = new ArrayList<>();

  @BeforeAll
  static void startApi() {
    api = new MockApiServer();
    kubectl = api.client();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  @BeforeEach
  void create() throws Exception {
    token = dir.resolve("token");
    Files.writeString(token, Replica.TOKEN + "\n");
    ref = new MeshTracingRef("meshtrace", "mesh-" + NAMES.incrementAndGet());
    MockApiServer.create(kubectl, ref, ConfigText.readYaml(TestMesh.base()));
  }

  @AfterEach
  void stop() {
    replicas.forEach(Replica::close);
  }

  Replica replica(String name) throws Exception {
    Replica r = Replica.start(name, api, ref, token);
    replicas.add(r);
    return r;
  }

  /** Both replicas, each with its client ACKing what it serves. */
  List<Replica> two() throws Exception {
    Replica a = replica("a");
    Replica b = replica("b");
    for (Replica r : List.of(a, b)) {
      await(r.name + " acks " + r.served(LISTENERS), Duration.ofSeconds(20),
          () -> r.served(LISTENERS) != null && r.served(LISTENERS).equals(r.acked(LISTENERS)));
    }
    return List.of(a, b);
  }

  @Test
  void putOnA_reachesClientOfB_ackedWithin2s_statusAccepted() throws Exception {
    List<Replica> ab = two();
    Replica a = ab.get(0);
    Replica b = ab.get(1);
    String before = b.acked(LISTENERS);
    assertThat(a.served(LISTENERS)).isEqualTo(before);

    long start = System.nanoTime();
    HttpResponse<String> put = a.put("{\"tracing\":[{\"randomSamplingPercentage\":42.5}]}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    JsonNode answer = ConfigText.readJson(put.body());
    assertThat(answer.get("generation").asLong()).isEqualTo(2);
    assertThat(answer.get("source").asText()).isEqualTo("MeshTracing " + ref);
    await("b's client acks the new version", Duration.ofSeconds(2),
        () -> !before.equals(b.acked(LISTENERS)) && b.acked(LISTENERS) != null
            && b.acked(LISTENERS).equals(b.served(LISTENERS)));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(b.served(LISTENERS)).isEqualTo(a.served(LISTENERS));
    assertThat(spec().get("tracing").get(0).get("randomSamplingPercentage").asDouble())
        .isEqualTo(42.5);

    String version = a.source.servedVersion();
    assertThat(b.source.servedVersion()).isEqualTo(version);
    await("status Accepted=True for generation 2", Duration.ofSeconds(8),
        () -> "True".equals(accepted().get("status"))
            && Long.valueOf(2).equals(asLong(status().get("observedGeneration"))));
    assertThat(status().get("servedVersion")).isEqualTo(version);
    assertThat(accepted().get("reason")).isEqualTo(StatusReport.ACCEPTED);
  }

  @Test
  void invalidSpecWritten_servedByNeither_statusNamesField_thenValidServedByBoth()
      throws Exception {
    List<Replica> ab = two();
    String good = ab.get(0).served(LISTENERS);
    String goodVersion = ab.get(0).source.servedVersion();
    ObjectNode bad = spec();
    ((ObjectNode) bad.get("tracing").get(0)).put("randomSamplingPercentage", 140);
    MockApiServer.editSpec(kubectl, ref, bad);

    await("status Accepted=False", Duration.ofSeconds(8),
        () -> "False".equals(accepted().get("status")));
    assertThat((String) accepted().get("message")).contains(
        "tracing[0].randomSamplingPercentage=140: must be between 0 and 100")
        .contains("still serving version " + goodVersion);
    assertThat(accepted().get("reason")).isEqualTo(StatusReport.INVALID);
    assertThat(status().get("servedVersion")).isEqualTo(goodVersion);
    for (Replica r : ab) {
      await(r.name + " saw the bad spec", Duration.ofSeconds(5),
          () -> !r.source.lastErrors().isEmpty());
      assertThat(r.served(LISTENERS)).isEqualTo(good);
      assertThat(r.acked(LISTENERS)).isEqualTo(good);
      assertThat(r.source.lastErrors()).anyMatch(e -> e.startsWith(
          "tracing[0].randomSamplingPercentage=140"));
    }

    ((ObjectNode) bad.get("tracing").get(0)).put("randomSamplingPercentage", 30);
    MockApiServer.editSpec(kubectl, ref, bad);
    for (Replica r : ab) {
      await(r.name + " serves and its client acks the valid spec", Duration.ofSeconds(5),
          () -> !good.equals(r.served(LISTENERS)) && r.served(LISTENERS).equals(
              r.acked(LISTENERS)));
    }
    assertThat(ab.get(0).served(LISTENERS)).isEqualTo(ab.get(1).served(LISTENERS));
    await("status Accepted=True again", Duration.ofSeconds(8),
        () -> "True".equals(accepted().get("status")));
  }

  @Test
  void invalidPut_400NamingField_nothingWritten() throws Exception {
    Replica a = replica("a");
    JsonNode before = spec();
    HttpResponse<String> put = a.put("{\"tracing\":[{\"randomSamplingPercentage\":140}]}");
    assertThat(put.statusCode()).isEqualTo(400);
    assertThat(put.body()).contains("tracing[0].randomSamplingPercentage=140: must be between"
        + " 0 and 100");
    // The status writer may have bumped the resourceVersion; the spec and generation stay.
    assertThat(MockApiServer.resource(kubectl, ref).get().getMetadata().getGeneration())
        .isEqualTo(1);
    assertThat(spec()).isEqualTo(before);
  }

  @Test
  void racingPuts_one200_one409_resourceHoldsOne_bothServeIt() throws Exception {
    List<Replica> ab = two();
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    double[] sampling = {11, 22};
    for (int i = 0; i < 2; i++) {
      Replica r = ab.get(i);
      String body = "{\"tracing\":[{\"randomSamplingPercentage\":" + sampling[i] + "}]}";
      answers.add(CompletableFuture.supplyAsync(unchecked(() -> {
        go.await();
        return r.put(body);
      })));
    }
    go.countDown();
    List<Integer> codes = new ArrayList<>();
    int winner = -1;
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> r = answers.get(i).get(20, TimeUnit.SECONDS);
      codes.add(r.statusCode());
      if (r.statusCode() == 200) {
        winner = i;
      } else {
        assertThat(r.body()).contains("changed after this server read it")
            .contains("\"currentGeneration\" : 2");
      }
    }
    assertThat(codes).containsExactlyInAnyOrder(200, 409);
    double held = spec().get("tracing").get(0).get("randomSamplingPercentage").asDouble();
    assertThat(held).isEqualTo(sampling[winner]);
    assertThat(MockApiServer.resource(kubectl, ref).get().getMetadata().getGeneration())
        .isEqualTo(2);
    for (Replica r : ab) {
      await(r.name + " serves generation 2", Duration.ofSeconds(5), () -> r.source.document()
          .get("tracing").get(0).get("randomSamplingPercentage").asDouble() == held);
    }
    await("both serve and ack one version", Duration.ofSeconds(5),
        () -> ab.get(0).served(LISTENERS).equals(ab.get(1).served(LISTENERS))
            && ab.get(0).served(LISTENERS).equals(ab.get(1).acked(LISTENERS))
            && ab.get(0).served(LISTENERS).equals(ab.get(0).acked(LISTENERS)));
  }

  @Test
  void restartedReplica_servesSameVersions_leaseHolderStopped_otherWritesStatus()
      throws Exception {
    List<Replica> ab = two();
    await("one replica holds the lease", Duration.ofSeconds(8),
        () -> ab.get(0).source.status().isLeader() || ab.get(1).source.status().isLeader());
    Replica leader = ab.get(0).source.status().isLeader() ? ab.get(0) : ab.get(1);
    Replica other = leader == ab.get(0) ? ab.get(1) : ab.get(0);
    Map<String, Map<String, String>> versions = leader.app.plane().versionsByGroup();
    assertThat(other.app.plane().versionsByGroup()).isEqualTo(versions);
    await("status written by the leader", Duration.ofSeconds(8),
        () -> "True".equals(accepted().get("status")));
    assertThat(other.source.status().writes()).isZero();

    replicas.remove(leader);
    leader.close();
    await(other.name + " takes the lease over", Duration.ofSeconds(8),
        () -> other.source.status().isLeader());
    ObjectNode next = spec();
    ((ObjectNode) next.get("tracing").get(0)).put("randomSamplingPercentage", 7);
    MockApiServer.editSpec(kubectl, ref, next);
    await(other.name + " writes the status of generation 2", Duration.ofSeconds(8),
        () -> Long.valueOf(2).equals(asLong(status().get("observedGeneration")))
            && "True".equals(accepted().get("status")));
    assertThat(other.source.status().writes()).isPositive();

    Replica again = replica(leader.name);
    await("the restarted replica's client acks", Duration.ofSeconds(20),
        () -> again.served(LISTENERS) != null
            && again.served(LISTENERS).equals(again.acked(LISTENERS)));
    assertThat(again.app.plane().versionsByGroup())
        .isEqualTo(other.app.plane().versionsByGroup());
    assertThat(again.source.servedVersion()).isEqualTo(other.source.servedVersion());
  }

  // ------------------------------------------------------------------ helpers

  ObjectNode spec() {
    return (ObjectNode) MeshTracingSnapshot.of(ref, MockApiServer.resource(kubectl, ref).get())
        .spec();
  }

  Map<String, Object> status() {
    Map<String, Object> s = MeshTracingSnapshot.of(ref, MockApiServer.resource(kubectl, ref)
        .get()).status();
    return s == null ? Map.of() : s;
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> accepted() {
    Object conditions = status().get("conditions");
    if (conditions instanceof List<?> list) {
      for (Object c : list) {
        if (c instanceof Map<?, ?> m && "Accepted".equals(m.get("type"))) {
          return (Map<String, Object>) m;
        }
      }
    }
    return Map.of();
  }

  static Long asLong(Object o) {
    return o instanceof Number n ? n.longValue() : null;
  }

  static void await(String what, Duration limit, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(end);
      Thread.sleep(10);
    }
  }

  interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  static <T> Supplier<T> unchecked(ThrowingSupplier<T> s) {
    return () -> {
      try {
        return s.get();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }
}
