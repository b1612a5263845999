package io.meshtrace.extproc;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Opens ext-proc's admin listener ({@code /healthz}, {@code /readyz}, {@code /metrics}) for an
 * {@link ExtProcServer} that another program embeds. ext-proc keeps its admin server
 * package-private, so this bridge lives in ext-proc's package; it goes away once ext-proc
 * offers a public way to start it.
 */
public final class ExtProcAdmin implements AutoCloseable {

  private final AdminServer admin;

  private ExtProcAdmin(AdminServer admin) {
    this.admin = admin;
  }

  /** Starts the admin listener of {@code server} on {@code address} (port 0: any free port). */
  public static ExtProcAdmin start(ExtProcServer server, InetSocketAddress address)
      throws IOException {
    return new ExtProcAdmin(server.startAdmin(address));
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return admin.address();
  }

  @Override
  public void close() {
    admin.stop();
  }
}
