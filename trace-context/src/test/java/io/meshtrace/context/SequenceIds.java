package io.meshtrace.context;

/** Deterministic ids for tables: 0xa1, 0xa2, ... in call order. */
final class SequenceIds implements IdGenerator {
  private long next = 0xa1;

  @Override
  public long nextNonZeroLong() {
    return next++;
  }

  /** The n-th id (1-based) as 16 hex chars. */
  static String hex(int n) {
    return String.format("%016x", 0xa0L + n);
  }
}
