package io.meshtrace.extproc;

/**
 * What one stream's first messages told the service about its peer, used for the rest of the
 * stream: whether body chunks must come back ({@code protocol_config}) and which field header
 * values go in (the first {@code request_headers}). One per stream; gRPC delivers a stream's
 * messages one at a time, so it needs no lock.
 */
final class StreamState {

  boolean echoRequestBody;
  boolean echoResponseBody;
  /** Null until the stream's first {@code request_headers}. */
  HeaderValueField valueField;
  /**
   * {@code System.nanoTime()} when the message being processed arrived, 0 when not known: the
   * start of the processing time measured, so that a message costs one clock read, not two.
   */
  long receivedNanos;
}
