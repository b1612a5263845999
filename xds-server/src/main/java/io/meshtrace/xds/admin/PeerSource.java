package io.meshtrace.xds.admin;

import java.net.URI;
import java.util.List;

/**
 * The admin URLs of the other replicas, asked for on every {@code GET /proxies?scope=fleet}. The
 * list may name this replica too: a peer that answers with this replica's name is left out.
 */
public interface PeerSource extends AutoCloseable {

  /** No peers: the fleet is this replica alone. */
  PeerSource NONE = new PeerSource() {
    @Override
    public List<URI> peers() {
      return List.of();
    }

    @Override
    public String describe() {
      return "none (no --peer or --peers-service)";
    }
  };

  /** The admin base URLs ({@code http://10.0.0.7:18001}) of the replicas as known now. */
  List<URI> peers() throws Exception;

  /** Where the peers come from, for the answer and for errors: {@code --peer}, a Service. */
  String describe();

  @Override
  default void close() {}

  /** A fixed list ({@code --peer URL}, repeatable). */
  static PeerSource of(List<URI> peers) {
    List<URI> fixed = List.copyOf(peers);
    return new PeerSource() {
      @Override
      public List<URI> peers() {
        return fixed;
      }

      @Override
      public String describe() {
        return "--peer";
      }
    };
  }
}
