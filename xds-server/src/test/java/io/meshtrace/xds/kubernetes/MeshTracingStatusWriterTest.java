package io.meshtrace.xds.kubernetes;

import static io.meshtrace.xds.kubernetes.MockApiServer.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Status writes under a Lease, two replicas against the CRUD mock API server (not a real
 * kube-apiserver): only the holder writes; when it stops, the other takes over; losing the
 * lease stops the writes.
 */
class MeshTracingStatusWriterTest {
  static final AtomicInteger NAMES = new AtomicInteger();
  static MockApiServer api;
  static KubernetesClient client;
  MeshTracingRef ref;
  final List<MeshTracingStatusWriter> writers = new ArrayList<>();

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
    ref = new MeshTracingRef("meshtrace", "status-" + NAMES.incrementAndGet());
    MockApiServer.create(client, ref, spec("{\"tracing\": [{\"randomSamplingPercentage\": 1}]}"));
  }

  @AfterEach
  void closeWriters() {
    writers.forEach(MeshTracingStatusWriter::close);
  }

  /** A replica's writer with short timing: lease 1 s, renew deadline 0.6 s, retry 0.2 s. */
  MeshTracingStatusWriter writer(String identity) {
    MeshTracingStatusWriter w = new MeshTracingStatusWriter(api.client(), ref,
        MeshTracingStatusWriter.LeaseSettings.defaults(ref).withIdentity(identity)
            .withTiming(Duration.ofSeconds(1), Duration.ofMillis(600), Duration.ofMillis(200)));
    writers.add(w);
    return w;
  }

  MeshTracingSnapshot read() {
    return MeshTracingSnapshot.of(ref, MockApiServer.resource(client, ref).get());
  }

  Lease lease() {
    return client.leases().inNamespace(ref.namespace()).withName(ref.name() + "-status").get();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(end);
      Thread.sleep(20);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> accepted(MeshTracingSnapshot s) {
    Map<String, Object> status = s.status();
    if (status == null) {
      return Map.of();
    }
    return ((List<Map<String, Object>>) status.get("conditions")).stream()
        .filter(c -> c.get("type").equals("Accepted")).findFirst().orElseThrow();
  }

  static long observed(MeshTracingSnapshot s) {
    Map<String, Object> status = s.status();
    return status == null ? -1 : ((Number) status.get("observedGeneration")).longValue();
  }

  @Test
  void twoReplicas_onlyTheLeaderWrites_andTheOtherTakesOverWhenItStops() throws Exception {
    MeshTracingStatusWriter a = writer("replica-a");
    a.start();
    await("a leads", a::isLeader);
    MeshTracingStatusWriter b = writer("replica-b");
    b.start();
    MeshTracingSnapshot gen1 = read();

    a.report(StatusReport.accepted(gen1, "v1"));
    b.report(StatusReport.accepted(gen1, "v1"));
    await("status of generation 1", () -> observed(read()) == 1);
    await("a counts its write", () -> a.writes() == 1); // counted after the response
    await("b sees the leader", () -> "replica-a".equals(b.leader()));

    assertThat(a.writes()).isEqualTo(1);
    assertThat(b.writes()).isZero();
    assertThat(b.isLeader()).isFalse();
    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("replica-a");
    assertThat(read().status()).containsEntry("servedVersion", "v1");
    assertThat(accepted(read())).containsEntry("status", "True").containsEntry("reason", "Accepted");

    a.close();
    await("b leads", b::isLeader);
    MeshTracingSnapshot gen2 = MeshTracingSnapshot.of(ref,
        MockApiServer.editSpec(client, ref, spec("{\"tracing\": [{\"randomSamplingPercentage\": 140}]}")));
    b.report(StatusReport.invalid(gen2,
        List.of("tracing[0].randomSamplingPercentage=140: must be between 0 and 100"), "v1"));
    await("status of generation 2", () -> observed(read()) == 2);
    await("b counts its write", () -> b.writes() == 1);

    assertThat(a.writes()).isEqualTo(1);
    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("replica-b");
    Map<String, Object> condition = accepted(read());
    assertThat(condition).containsEntry("status", "False").containsEntry("reason", "Invalid")
        .containsEntry("observedGeneration", 2);
    assertThat((String) condition.get("message"))
        .isEqualTo("1 problem, still serving version v1: tracing[0].randomSamplingPercentage=140:"
            + " must be between 0 and 100");
    assertThat(read().status()).containsEntry("servedVersion", "v1");
  }

  @Test
  void leaseTakenByAnother_writesStop() throws Exception {
    MeshTracingStatusWriter a = writer("replica-a");
    a.start();
    await("a leads", a::isLeader);
    MeshTracingSnapshot gen1 = read();
    a.report(StatusReport.accepted(gen1, "v1"));
    await("first status", () -> observed(read()) == 1);

    // Another holder with a long lease (as if a's renewals had not reached the API server).
    for (int attempt = 0; ; attempt++) {
      Lease l = lease();
      l.getSpec().setHolderIdentity("replica-z");
      l.getSpec().setLeaseDurationSeconds(60);
      l.getSpec().setRenewTime(ZonedDateTime.now(ZoneOffset.UTC));
      try {
        client.resource(l).update();
        break;
      } catch (KubernetesClientException e) {
        // a renewed meanwhile: read again, as any other writer of the Lease must
        assertThat(e.getCode()).isEqualTo(409);
        assertThat(attempt).isLessThan(10);
      }
    }
    await("a notices", () -> !a.isLeader());
    String before = read().resourceVersion();
    a.report(StatusReport.invalid(gen1, List.of("x=1: wrong"), "v1"));
    Thread.sleep(600);

    assertThat(a.writes()).isEqualTo(1);
    assertThat(read().resourceVersion()).isEqualTo(before);
    assertThat(accepted(read())).containsEntry("status", "True");
  }

  @Test
  void report_ofAnOlderGeneration_isDropped() throws Exception {
    MeshTracingStatusWriter a = writer("replica-a");
    a.start();
    await("a leads", a::isLeader);
    MeshTracingSnapshot gen1 = read();
    MockApiServer.editSpec(client, ref, spec("{\"tracing\": [{\"randomSamplingPercentage\": 2}]}"));

    a.report(StatusReport.accepted(gen1, "v1"));
    MeshTracingSnapshot gen2 = read();
    a.report(StatusReport.accepted(gen2, "v2"));
    await("status of generation 2", () -> observed(read()) == 2);
    a.report(StatusReport.accepted(gen1, "v1"));
    Thread.sleep(300);

    assertThat(read().status()).containsEntry("servedVersion", "v2");
    assertThat(a.writes()).isEqualTo(1);
  }

  @Test
  void report_sameStatusAgain_notWrittenAgain() throws Exception {
    MeshTracingStatusWriter a = writer("replica-a");
    a.start();
    await("a leads", a::isLeader);
    MeshTracingSnapshot gen1 = read();
    a.report(StatusReport.accepted(gen1, "v1"));
    await("status", () -> observed(read()) == 1);
    String version = read().resourceVersion();

    a.report(StatusReport.accepted(gen1, "v1"));
    Thread.sleep(300);

    assertThat(read().resourceVersion()).isEqualTo(version);
    assertThat(a.writes()).isEqualTo(1);
  }

  @Test
  void invalid_manyProblems_messageBoundedAndCounted() {
    MeshTracingSnapshot s = read();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      problems.add("services[" + i + "].name=Bad_Name: must be a DNS name" + "x".repeat(i % 7 == 0 ? 700 : 0));
    }

    StatusReport r = StatusReport.invalid(s, problems, null);

    assertThat(r.message().length()).isLessThanOrEqualTo(StatusReport.MAX_MESSAGE);
    assertThat(r.message()).startsWith("1000 problems, nothing served yet: services[0].name=Bad_Name")
        .endsWith(" more");
    assertThat(r.accepted()).isFalse();
    assertThat(r.reason()).isEqualTo("Invalid");
  }

  @Test
  void desired_sameConditionStatus_keepsTransitionTime_changedStatus_movesIt() {
    MeshTracingSnapshot s = read();
    Clock t1 = Clock.fixed(Instant.parse("2026-01-01T10:00:00Z"), ZoneOffset.UTC);
    Clock t2 = Clock.fixed(Instant.parse("2026-01-01T11:00:00Z"), ZoneOffset.UTC);
    MeshTracingStatusWriter at1 = new MeshTracingStatusWriter(client, ref,
        MeshTracingStatusWriter.LeaseSettings.defaults(ref), t1);
    MeshTracingStatusWriter at2 = new MeshTracingStatusWriter(client, ref,
        MeshTracingStatusWriter.LeaseSettings.defaults(ref), t2);
    writers.add(at1);
    writers.add(at2);
    Map<String, Object> other = Map.of("type", "Ready", "status", "True");
    Map<String, Object> first = at1.desired(Map.of("conditions", List.of(other)),
        StatusReport.accepted(s, "v1"));

    Map<String, Object> same = at2.desired(first, StatusReport.accepted(s, "v2"));
    Map<String, Object> flipped = at2.desired(first, StatusReport.invalid(s, List.of("a=b: c"), "v1"));

    assertThat(accepted(first)).containsEntry("lastTransitionTime", "2026-01-01T10:00:00Z");
    @SuppressWarnings("unchecked")
    List<Object> conditions = (List<Object>) first.get("conditions");
    assertThat(conditions).contains(other);
    assertThat(conditionOf(same)).containsEntry("lastTransitionTime", "2026-01-01T10:00:00Z");
    assertThat(conditionOf(flipped)).containsEntry("lastTransitionTime", "2026-01-01T11:00:00Z")
        .containsEntry("status", "False");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> accepted(Map<String, Object> status) {
    return conditionOf(status);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> conditionOf(Map<String, Object> status) {
    return ((List<Map<String, Object>>) status.get("conditions")).stream()
        .filter(c -> c.get("type").equals("Accepted")).findFirst().orElseThrow();
  }
}
