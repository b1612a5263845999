package io.meshtrace.admin;

import io.meshtrace.cli.BuildVersion;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The metrics every meshtrace service exports beside its own: the JVM's and the process's
 * ({@code jvm_memory_used_bytes}, {@code jvm_gc_collection_seconds}, {@code jvm_threads_*},
 * {@code process_cpu_seconds_total}, {@code process_resident_memory_bytes},
 * {@code process_open_fds}, ...) and one build-info series:
 *
 * <pre>
 * meshtrace_build_info{service="xds-server",version="0.1.0"} 1
 * </pre>
 */
public final class ServiceMetrics {

  private ServiceMetrics() {}

  /** Registers the JVM, process and build-info metrics of {@code service} in {@code registry}. */
  public static void register(PrometheusRegistry registry, String service) {
    JvmMetrics.builder().register(registry);
    Info.builder()
        .name("meshtrace_build_info")
        .help("The meshtrace service and version of this process")
        .labelNames("service", "version")
        .register(registry)
        .setLabelValues(service, BuildVersion.version());
  }
}
