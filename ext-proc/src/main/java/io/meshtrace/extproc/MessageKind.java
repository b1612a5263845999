package io.meshtrace.extproc;

/** The kinds of message Envoy sends on an ext_proc stream. */
enum MessageKind {
  REQUEST_HEADERS("request_headers"),
  RESPONSE_HEADERS("response_headers"),
  REQUEST_BODY("request_body"),
  RESPONSE_BODY("response_body"),
  REQUEST_TRAILERS("request_trailers"),
  RESPONSE_TRAILERS("response_trailers");

  private final String label;

  MessageKind(String label) {
    this.label = label;
  }

  String label() {
    return label;
  }
}
