package io.meshtrace.cli;

/**
 * What a meshtrace jar's exit status means; the same in every jar.
 *
 * <pre>
 * 0  ok: the command did what it was asked (a server stopped cleanly after SIGTERM)
 * 1  runtime failure: a port could not be bound, a file could not be read or written, a
 *    remote end did not answer, a check found problems
 * 2  usage error: unknown command or flag, a flag without its value, a value of the wrong type
 * 3  invalid configuration: the flags parsed, but the configuration they or a file describe
 *    was rejected (every problem is printed, naming the key, the value and what was expected)
 * </pre>
 */
public final class ExitCode {

  /** The command did what it was asked. */
  public static final int OK = 0;
  /** Something failed at run time: a port, a file, a remote end, or a check found problems. */
  public static final int FAILURE = 1;
  /** The command line is wrong: unknown command or flag, missing or mistyped value. */
  public static final int USAGE = 2;
  /** The configuration was read but rejected. */
  public static final int CONFIG = 3;

  private ExitCode() {}
}
