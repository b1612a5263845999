package io.meshtrace.context;

import java.util.concurrent.ThreadLocalRandom;

/** Source of new trace and span ids. Implementations never return zero. */
public interface IdGenerator {

  /** A random non-zero 64-bit id. */
  long nextNonZeroLong();

  /** Ids from {@link ThreadLocalRandom}: fast, allocation-free, never zero. */
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
}
