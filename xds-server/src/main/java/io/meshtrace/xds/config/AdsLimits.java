package io.meshtrace.xds.config;

/**
 * What one xDS client may cost the control plane. A stream over a limit is ended with
 * {@code RESOURCE_EXHAUSTED} and a message naming the limit, and counted in
 * {@code meshtrace_xds_streams_refused_total}; every other stream keeps being served.
 *
 * <p>Groups of the services in the config are bounded by the config itself (two per service and
 * four defaults); {@code maxUnconfiguredGroups} bounds the others: every node whose service is
 * not in the config, and every gateway of another node cluster, gets a group of its own, and
 * each group in use holds a whole snapshot. A group is freed when its last stream ends.
 *
 * @param maxUnconfiguredGroups groups in use at once whose service the config does not name
 * @param maxNodeIdLength characters of {@code node.id}
 * @param maxNodeClusterLength characters of {@code node.cluster}
 * @param maxNodeBytes serialized size of the whole node, metadata included
 */
public record AdsLimits(int maxUnconfiguredGroups, int maxNodeIdLength, int maxNodeClusterLength,
    int maxNodeBytes) {

  /**
   * 64 unconfigured groups; node id 512 and cluster 256 characters (a Kubernetes name is at most
   * 253); 64 KiB per node (an Istio sidecar's node, with its labels and annotations, is a few
   * KiB).
   */
  public static final AdsLimits DEFAULTS = new AdsLimits(64, 512, 256, 64 * 1024);

  /** Checks that every limit is positive. */
  public AdsLimits {
    positive("maxUnconfiguredGroups", maxUnconfiguredGroups);
    positive("maxNodeIdLength", maxNodeIdLength);
    positive("maxNodeClusterLength", maxNodeClusterLength);
    positive("maxNodeBytes", maxNodeBytes);
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + "=" + value + ": must be at least 1");
    }
  }
}
