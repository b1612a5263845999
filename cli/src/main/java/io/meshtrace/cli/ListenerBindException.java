package io.meshtrace.cli;

import java.io.IOException;

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
   * {@code e}, thrown while binding a listener, as a {@code ListenerBindException} (itself when
   * it already is one). Binding is the only thing that can fail there, whatever the exception
   * type: the JDK's {@code BindException}, or Netty's native {@code bind(..) failed}.
   */
  public static ListenerBindException of(String service, String listener, String address,
      int port, IOException e) {
    return e instanceof ListenerBindException b ? b
        : new ListenerBindException(service, listener, address, port, e);
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

  /** The innermost message: {@code Address already in use}, not the wrappers' text. */
  private static String reason(Throwable cause) {
    String reason = "cannot bind";
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        reason = t.getMessage();
      }
    }
    return reason;
  }
}
