package io.meshtrace.xds.server;

import io.envoyproxy.controlplane.cache.SimpleCache;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.NodeGroups;
import io.meshtrace.xds.snapshot.VersionedSnapshot;

/** java-control-plane's snapshot cache over our group keys and snapshot type. */
final class GroupCache extends SimpleCache<GroupKey, VersionedSnapshot> {

  GroupCache() {
    super(new NodeGroups());
  }
}
