package io.meshtrace.xds.kubernetes;

import static io.meshtrace.xds.kubernetes.MockApiServer.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The informer-backed source against the CRUD mock API server (not a real kube-apiserver). */
class MeshTracingSourceTest {
  static final AtomicInteger NAMES = new AtomicInteger();
  static final String SPEC = """
      {"extensionProviders": [{"name": "otel", "opentelemetry": {"service": "otel", "port": 4317}}],
       "defaultProviders": {"tracing": ["otel"]},
       "tracing": [{"randomSamplingPercentage": 10}],
       "services": [{"name": "productpage", "ports": [{"name": "http", "number": 9080}]}]}
      """;

  static MockApiServer api;
  static KubernetesClient client;
  MeshTracingRef ref;
  Recorder events;
  MeshTracingSource source;

  /** Every call of the listener, in order. */
  static final class Recorder implements MeshTracingListener {
    final BlockingQueue<Object> calls = new LinkedBlockingQueue<>();
    final AtomicInteger failNext = new AtomicInteger();

    @Override
    public void onSpec(MeshTracingSnapshot snapshot) {
      calls.add(snapshot);
      if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IllegalStateException("listener failure for the test");
      }
    }

    @Override
    public void onAbsent(MeshTracingRef ref, Absence absence) {
      calls.add(absence);
    }

    Object next() throws InterruptedException {
      Object o = calls.poll(5, TimeUnit.SECONDS);
      assertThat(o).as("a listener call within 5 s").isNotNull();
      return o;
    }

    MeshTracingSnapshot nextSpec() throws InterruptedException {
      Object o = next();
      assertThat(o).isInstanceOf(MeshTracingSnapshot.class);
      return (MeshTracingSnapshot) o;
    }

    void assertQuietFor(Duration d) throws InterruptedException {
      assertThat(calls.poll(d.toMillis(), TimeUnit.MILLISECONDS)).as("no further call").isNull();
    }
  }

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
  void start() {
    ref = new MeshTracingRef("meshtrace", "mesh-" + NAMES.incrementAndGet());
    events = new Recorder();
  }

  @AfterEach
  void stop() {
    if (source != null) {
      source.close();
    }
  }

  MeshTracingSource source(Duration resync) {
    source = new MeshTracingSource(api.client(), ref, events, resync);
    return source;
  }

  @Test
  void source_createUpdateDelete_reportedInOrder() throws Exception {
    source(Duration.ZERO).start().get(10, TimeUnit.SECONDS);
    assertThat(events.next()).isEqualTo(MeshTracingListener.Absence.NOT_FOUND);

    GenericKubernetesResource created = MockApiServer.create(client, ref, spec(SPEC));
    MeshTracingSnapshot first = events.nextSpec();
    assertThat(first.generation()).isEqualTo(1);
    assertThat(first.uid()).isEqualTo(created.getMetadata().getUid());
    assertThat(first.resourceVersion()).isEqualTo(created.getMetadata().getResourceVersion());
    MeshConfig parsed = ConfigParser.parse(first.spec(), null);
    assertThat(parsed.services()).extracting(MeshConfig.Service::name).containsExactly("productpage");
    assertThat(source.current()).hasValueSatisfying(s -> assertThat(s.generation()).isEqualTo(1));

    MockApiServer.editSpec(client, ref, spec(SPEC.replace("\"randomSamplingPercentage\": 10", "\"randomSamplingPercentage\": 55")));
    MeshTracingSnapshot second = events.nextSpec();
    assertThat(second.generation()).isEqualTo(2);
    assertThat(second.spec().at("/tracing/0/randomSamplingPercentage").asInt()).isEqualTo(55);
    assertThat(second.specJson()).contains("\"randomSamplingPercentage\":55");

    MockApiServer.resource(client, ref).delete();
    assertThat(events.next()).isEqualTo(MeshTracingListener.Absence.DELETED);
    assertThat(source.current()).isEmpty();

    MockApiServer.create(client, ref, spec(SPEC));
    MeshTracingSnapshot again = events.nextSpec();
    assertThat(again.uid()).as("created again: another object").isNotEqualTo(first.uid());
    events.assertQuietFor(Duration.ofMillis(300));
    assertThat(source.isWatching()).isTrue();
    assertThat(source.lastProblem()).isNull();
  }

  @Test
  void source_statusOnlyUpdate_notReportedButCurrentFollowsIt() throws Exception {
    MockApiServer.create(client, ref, spec(SPEC));
    source(Duration.ZERO).start().get(10, TimeUnit.SECONDS);
    MeshTracingSnapshot first = events.nextSpec();

    GenericKubernetesResource cur = MockApiServer.resource(client, ref).get();
    cur.setAdditionalProperty("status", Map.of("observedGeneration", 1, "servedVersion", "abc"));
    String statusVersion = client.resource(cur).updateStatus().getMetadata().getResourceVersion();

    events.assertQuietFor(Duration.ofMillis(500));
    assertThat(source.current()).hasValueSatisfying(s -> {
      assertThat(s.resourceVersion()).isEqualTo(statusVersion).isNotEqualTo(first.resourceVersion());
      assertThat(s.generation()).isEqualTo(1);
    });
  }

  @Test
  void source_listenerThrows_sameSpecReportedAgainAtResync() throws Exception {
    events.failNext.set(1);
    MockApiServer.create(client, ref, spec(SPEC));
    source(Duration.ofSeconds(1)).start().get(10, TimeUnit.SECONDS); // fabric8's shortest resync

    MeshTracingSnapshot failed = events.nextSpec();
    MeshTracingSnapshot retried = events.nextSpec();

    assertThat(retried.sameSpec(failed)).isTrue();
    // Once the listener took it, resyncs of the same object are not reported again.
    events.assertQuietFor(Duration.ofMillis(1500));
  }

  @Test
  void source_otherNamesAndNamespaces_notReported() throws Exception {
    MeshTracingRef other = new MeshTracingRef("other", ref.name());
    source = new MeshTracingSource(api.client(), other, events, Duration.ZERO);
    source.start().get(10, TimeUnit.SECONDS);
    assertThat(events.next()).isEqualTo(MeshTracingListener.Absence.NOT_FOUND);
    MockApiServer.create(client, ref, spec(SPEC)); // same name, another namespace
    MockApiServer.create(client, new MeshTracingRef("other", ref.name() + "-x"), spec(SPEC));
    MockApiServer.create(client, other, spec(SPEC));

    MeshTracingSnapshot s = events.nextSpec();

    assertThat(s.ref()).isEqualTo(other);
    events.assertQuietFor(Duration.ofMillis(300));
  }

  @Test
  void ref_invalidNames_failNamingTheField() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MeshTracingRef("Mesh", "x"))
        .hasMessageStartingWith("namespace=Mesh: must be a DNS-1123 label");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MeshTracingRef("a", "b_c"))
        .hasMessageStartingWith("name=b_c: must be a DNS-1123 subdomain");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MeshTracingRef("a.b", "c"))
        .hasMessageStartingWith("namespace=a.b");
    assertThat(new MeshTracingRef("meshtrace", "bookinfo.v1").toString()).isEqualTo("meshtrace/bookinfo.v1");
  }
}
