package io.meshtrace.xds.snapshot;

import java.util.Objects;

/**
 * The node group a snapshot is built for: a role and a service name, the service empty when the
 * node names none. Printed as {@code <role>/<service>}: {@code sidecar/productpage},
 * {@code grpc/reviews}, {@code gateway/meshtrace-gateway}, {@code sidecar/}.
 */
public record GroupKey(NodeRole role, String service) {

  /** Checks that both parts are present (the service may be empty). */
  public GroupKey {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(service, "service");
  }

  /**
   * Reads the printed form back, for tools and tests that name a group as operators see it.
   *
   * @throws IllegalArgumentException when the text has no {@code /} or names no known role
   */
  public static GroupKey parse(String printed) {
    int slash = printed.indexOf('/');
    NodeRole role = slash < 0 ? null : NodeRole.parse(printed.substring(0, slash));
    if (role == null) {
      throw new IllegalArgumentException("group " + printed
          + ": expected <role>/<service> with role sidecar, grpc or gateway");
    }
    return new GroupKey(role, printed.substring(slash + 1));
  }

  @Override
  public String toString() {
    return role.key() + "/" + service;
  }
}
