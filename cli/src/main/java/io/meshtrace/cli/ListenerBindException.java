package io.meshtrace.cli;

import java.io.IOException;
import java.net.BindException;

/**
 * A listener that could not bind its address, naming the service and the listener so that a
 * command line can name the flag that chose the port:
 * {@code xds-server cannot listen on 127.0.0.1:18001 for its admin API: Address already in use}.
 */
public final class ListenerBindException extends IOException {

  private static final long serialVersionUID = 1L;

  private final String service;
  private final String listener;
  private final String address;
  private final int port;

  /**
   * @param service the jar's service, e.g. {@code xds-server}
   * @param listener which of its listeners, e.g. {@code admin}; commands map it to their flag
   */
  public ListenerBindException(String service, String listener, String address, int port,
      Throwable cause) {
    super(service + " cannot listen on " + address + ":" + port + " for its " + listener
        + " listener: " + reason(cause), cause);
    this.service = service;
    this.listener = listener;
    this.address = address;
    this.port = port;
  }

  /**
   * {@code e} as a {@code ListenerBindException} when a {@link BindException} is among its
   * causes (the port is taken, the address is not local, the port needs privileges), otherwise
   * {@code e} itself.
   */
  public static IOException of(String service, String listener, String address, int port,
      IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ListenerBindException) {
        return e;
      }
      if (t instanceof BindException) {
        return new ListenerBindException(service, listener, address, port, t);
      }
    }
    return e;
  }

  public String service() {
    return service;
  }

  public String listener() {
    return listener;
  }

  public String address() {
    return address;
  }

  public int port() {
    return port;
  }

  private static String reason(Throwable cause) {
    return cause == null || cause.getMessage() == null ? "cannot bind" : cause.getMessage();
  }
}
