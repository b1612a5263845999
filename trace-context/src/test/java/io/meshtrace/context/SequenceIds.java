package io.meshtrace.context;

/**
 * Deterministic ids for tables: 0xa1, 0xa2, ... in call order; every sampling draw returns the
 * same fraction (0.5 unless given), so a percentage above 50 samples and one of 50 or less
 * does not.
 */
final class SequenceIds implements IdGenerator {
  private long next = 0xa1;
  private final double fraction;
  int samplingDraws;

  SequenceIds() {
    this(0.5);
  }

  SequenceIds(double fraction) {
    this.fraction = fraction;
  }

  @Override
  public long nextNonZeroLong() {
    return next++;
  }

  @Override
  public double nextSamplingFraction() {
    samplingDraws++;
    return fraction;
  }

  /** The n-th id (1-based) as 16 hex chars. */
  static String hex(int n) {
    return String.format("%016x", 0xa0L + n);
  }
}
