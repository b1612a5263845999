package io.meshtrace.context;

/** What the gateway does with a request's trace context. */
public enum Verdict {
  /** Valid and complete: no header is touched. */
  PASS,
  /** The trace id is kept; what is missing or malformed is fixed or added. */
  REPAIR,
  /** No usable trace id: a new trace is started and the broken headers are dropped. */
  REGENERATE
}
