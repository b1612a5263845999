package io.meshtrace.context;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Source of new trace and span ids, and of the random draw behind the sampling decisions the
 * gateway makes ({@link RepairPolicy#newTraceSamplingPercent()}). Implementations never return
 * a zero id; a deterministic implementation makes tests repeatable.
 */
public interface IdGenerator {

  /** A random non-zero 64-bit id. */
  long nextNonZeroLong();

  /**
   * A uniformly distributed fraction in {@code [0, 1)}: a request is sampled when
   * {@code fraction * 100 < newTraceSamplingPercent}. By default the top 53 bits of
   * {@link #nextNonZeroLong()}, so a generator that only supplies ids also drives sampling.
   */
  default double nextSamplingFraction() {
    return (nextNonZeroLong() >>> 11) * 0x1.0p-53;
  }

  /** Ids and fractions from {@link ThreadLocalRandom}: fast, allocation-free, ids never zero. */
  static IdGenerator random() {
    return RandomIdGenerator.INSTANCE;
  }
}

final class RandomIdGenerator implements IdGenerator {
  static final RandomIdGenerator INSTANCE = new RandomIdGenerator();

  @Override
  public long nextNonZeroLong() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long id;
    do {
      id = random.nextLong();
    } while (id == 0L);
    return id;
  }

  @Override
  public double nextSamplingFraction() {
    return ThreadLocalRandom.current().nextDouble();
  }
}
