package io.meshtrace.xds.server;

import io.meshtrace.xds.config.AdsLimits;
import io.meshtrace.xds.snapshot.GroupKey;

/**
 * What a stream needs of the control plane: its group's snapshot while it is open. Each call to
 * {@link #acquire} that returns true is matched by one {@link #release}.
 */
interface GroupLeases {

  /**
   * Counts one more stream of {@code group}; the first one gets the group its snapshot.
   *
   * @return false when the group is new and {@link AdsLimits#maxUnconfiguredGroups} is reached
   */
  boolean acquire(GroupKey group);

  /** Counts one stream of {@code group} less; after the last one the group's snapshot is freed. */
  void release(GroupKey group);
}
