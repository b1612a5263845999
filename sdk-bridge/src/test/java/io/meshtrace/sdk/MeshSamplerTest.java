package io.meshtrace.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import org.junit.jupiter.api.Test;

/** The sampler is parent-based: the mesh's decision wins, the ratio applies to new roots. */
class MeshSamplerTest {

  private static final Context SAMPLED_PARENT = Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(
      "80f198ee56343ba864fe8b2a57d3eff7", "e457b5a2e4d86bd1", TraceFlags.getSampled(), TraceState.getDefault())));
  private static final Context UNSAMPLED_PARENT = Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(
      "80f198ee56343ba864fe8b2a57d3eff7", "e457b5a2e4d86bd1", TraceFlags.getDefault(), TraceState.getDefault())));

  @Test
  void samplingZero_newRootsDropped_sampledParentStillFollowed() {
    try (OpenTelemetrySdk sdk = sdk(0)) {
      Tracer tracer = sdk.getTracer("test");
      assertThat(sampled(tracer, Context.root())).isFalse();
      assertThat(sampled(tracer, SAMPLED_PARENT)).isTrue();
    }
  }

  @Test
  void samplingHundred_newRootsKept_unsampledParentStillFollowed() {
    try (OpenTelemetrySdk sdk = sdk(100)) {
      Tracer tracer = sdk.getTracer("test");
      assertThat(sampled(tracer, Context.root())).isTrue();
      assertThat(sampled(tracer, UNSAMPLED_PARENT)).isFalse();
    }
  }

  @Test
  void samplingTwentyFive_aboutAQuarterOfNewRoots() {
    try (OpenTelemetrySdk sdk = sdk(25)) {
      Tracer tracer = sdk.getTracer("test");
      int sampled = 0;
      for (int i = 0; i < 4000; i++) {
        if (sampled(tracer, Context.root())) {
          sampled++;
        }
      }
      // Binomial(4000, 0.25): mean 1000, sd 27; the bounds are over 7 sd away.
      assertThat(sampled).isBetween(800, 1200);
    }
  }

  private static OpenTelemetrySdk sdk(double percent) {
    return MeshTelemetry.create(MeshSettings.of("s").withSamplingRatio(percent / 100)
        .withExporter(MeshSettings.Exporter.defaults(ExportProtocol.NONE)));
  }

  private static boolean sampled(Tracer tracer, Context parent) {
    Span span = tracer.spanBuilder("x").setParent(parent).startSpan();
    span.end();
    return span.getSpanContext().isSampled();
  }
}
