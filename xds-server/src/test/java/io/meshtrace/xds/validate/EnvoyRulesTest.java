package io.meshtrace.xds.validate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKey;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.envoyproxy.envoy.type.v3.Percent;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EnvoyRulesTest {

  private static final EnvoyRules RULES = MeshSnapshots.rules();

  private static HttpUri.Builder uri() {
    return HttpUri.newBuilder().setUri("http://c/x").setCluster("c")
        .setTimeout(Duration.newBuilder().setSeconds(1));
  }

  private static Cluster.Builder cluster() {
    return Cluster.newBuilder().setName("c")
        .setConnectTimeout(Duration.newBuilder().setSeconds(1));
  }

  static Stream<Arguments> violations() {
    return Stream.of(
        Arguments.of("double lte", Percent.newBuilder().setValue(140).build(),
            "value=140.0: must be >= 0 and <= 100"),
        Arguments.of("double gte", Percent.newBuilder().setValue(-0.5).build(),
            "value=-0.5: must be >= 0 and <= 100"),
        Arguments.of("duration required", uri().clearTimeout().build(),
            "timeout=(unset): value is required"),
        Arguments.of("duration gte", uri().setTimeout(Duration.newBuilder().setSeconds(-1))
            .build(), "timeout=-1s: must be >= 0s"),
        Arguments.of("duration gt", cluster().setConnectTimeout(Duration.getDefaultInstance())
            .build(), "connect_timeout=0s: must be > 0s"),
        Arguments.of("oneof required", uri().clearCluster().build(),
            "http_upstream_type=(unset): exactly one of [cluster] is required"),
        Arguments.of("string min_len", uri().setUri("").build(),
            "uri=\"\": length must be at least 1"),
        Arguments.of("string min_len in oneof member", uri().setCluster("").build(),
            "cluster=\"\": length must be at least 1"),
        Arguments.of("enum defined_only", cluster().setLbPolicyValue(99).build(),
            "lb_policy=99: must be a defined LbPolicy value"),
        Arguments.of("repeated min_items", MetadataKey.newBuilder().setKey("k").build(),
            "path=(0 items): must have at least 1 items"),
        Arguments.of("header name loose", HeaderValue.newBuilder().setKey("x-a\nb").build(),
            "key=\"x-a\\x0ab\": must be an HTTP header name"),
        Arguments.of("header name empty", HeaderValue.newBuilder().setKey("").build(),
            "key=\"\": length must be at least 1"),
        Arguments.of("custom tag without kind", CustomTag.newBuilder().setTag("t").build(),
            "type=(unset): exactly one of [literal, environment, request_header, metadata]"),
        Arguments.of("uint32 wrapper range", Http2ProtocolOptions.newBuilder()
            .setMaxConcurrentStreams(UInt32Value.of(0)).build(),
            "max_concurrent_streams=0: must be >= 1 and <= 2147483647"),
        Arguments.of("zipkin endpoint", ZipkinConfig.newBuilder().setCollectorCluster("c")
            .build(), "collector_endpoint=\"\": length must be at least 1"),
        Arguments.of("message required", io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig
            .getDefaultInstance(), "grpc_service=(unset): value is required"),
        Arguments.of("unknown Any type", Listener.newBuilder().setName("l")
            .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                .setName("f").setTypedConfig(Any.pack(Percent.getDefaultInstance()))))
            .build(), "filter_chains[0].filters[0].typed_config.type_url="
            + "type.googleapis.com/envoy.type.v3.Percent: type not known"),
        Arguments.of("nested in Any", Listener.newBuilder().setName("l")
            .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                .setName("hcm").setTypedConfig(Any.pack(HttpConnectionManager.newBuilder()
                    .setStatPrefix("s")
                    .setTracing(HttpConnectionManager.Tracing.newBuilder()
                        .setRandomSampling(Percent.newBuilder().setValue(140)))
                    .build()))))
            .build(), "filter_chains[0].filters[0].typed_config<envoy.extensions.filters"
            + ".network.http_connection_manager.v3.HttpConnectionManager>.tracing"
            + ".random_sampling.value=140.0: must be >= 0 and <= 100"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("violations")
  void check_violatingMessage_reportsFieldAndRule(String name, Message m, String expected) {
    assertThat(RULES.check(m)).as(name).anySatisfy(v -> assertThat(v).contains(expected));
  }

  static Stream<Message> valid() {
    return Stream.of(Percent.newBuilder().setValue(100).build(), uri().build(),
        cluster().build(),
        MetadataKey.newBuilder().setKey("k").addPath(MetadataKey.PathSegment.newBuilder()
            .setKey("p")).build(),
        HeaderValue.newBuilder().setKey("x-tenant").setValue("a b").build(),
        Http2ProtocolOptions.newBuilder().setMaxConcurrentStreams(UInt32Value.of(100)).build());
  }

  @ParameterizedTest
  @MethodSource("valid")
  void check_validMessage_noViolation(Message m) {
    assertThat(RULES.check(m)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("violations")
  void memoizing_violatingMessageCheckedTwice_sameLinesAsPlainChecker(String name, Message m,
      String expected) {
    EnvoyRules memo = RULES.memoizing();
    assertThat(memo.check(m)).as(name).containsExactlyElementsOf(RULES.check(m));
    assertThat(memo.check(m)).as(name).containsExactlyElementsOf(RULES.check(m));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("violations")
  void memoizing_overAnEarlierBuild_sameLinesAsPlainChecker(String name, Message m,
      String expected) {
    EnvoyRules first = RULES.memoizing();
    assertThat(first.check(m)).as(name).containsExactlyElementsOf(RULES.check(m));
    EnvoyRules second = RULES.memoizing(first);
    assertThat(second.check(m)).as(name).containsExactlyElementsOf(RULES.check(m));
    // The second build kept what it used, and a third over it still sees the violation.
    assertThat(second.remembered()).isPositive();
    assertThat(RULES.memoizing(second).check(m)).as(name).containsExactlyElementsOf(RULES.check(m));
    // An earlier build that never saw the message changes nothing.
    assertThat(RULES.memoizing(RULES.memoizing()).check(m)).as(name)
        .containsExactlyElementsOf(RULES.check(m));
  }

  @org.junit.jupiter.api.Test
  void memoizing_sameAnyInTwoPlaces_eachLineNamesItsOwnPath() {
    Any bad = Any.pack(HttpConnectionManager.newBuilder().setStatPrefix("s")
        .setTracing(HttpConnectionManager.Tracing.newBuilder()
            .setRandomSampling(Percent.newBuilder().setValue(140)))
        .build());
    Listener l = Listener.newBuilder().setName("l")
        .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
            .setName("a").setTypedConfig(bad)))
        .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
            .setName("b").setTypedConfig(bad)))
        .build();
    String hcm = "<envoy.extensions.filters.network.http_connection_manager.v3"
        + ".HttpConnectionManager>.";
    String route = hcm + "route_specifier=(unset): exactly one of [rds, route_config,"
        + " scoped_routes] is required";
    String sampling = hcm + "tracing.random_sampling.value=140.0: must be >= 0 and <= 100";
    assertThat(RULES.memoizing().check(l)).containsExactly(
        "filter_chains[0].filters[0].typed_config" + route,
        "filter_chains[0].filters[0].typed_config" + sampling,
        "filter_chains[1].filters[0].typed_config" + route,
        "filter_chains[1].filters[0].typed_config" + sampling);
  }
}
