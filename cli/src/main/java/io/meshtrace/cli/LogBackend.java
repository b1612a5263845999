package io.meshtrace.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The one logging set-up of every meshtrace jar: logback, one line per event on standard
 * error ({@link LogLineEncoder}), in the format and at the level of {@link LogOptions}.
 * Standard output stays the command's own (the {@code listening ...} line, printed configs).
 *
 * <p>Registered as logback's {@link Configurator} (text at INFO until a command line says
 * otherwise), so a jar logs the same way before its flags are read and in tests. Libraries that
 * log through {@code java.util.logging} (grpc-java, the JDK's HTTP server) are routed here too.
 * {@code -Dlogback.configurationFile=FILE} hands logging to that file instead; the flags are then
 * ignored.
 */
public final class LogBackend extends ContextAwareBase implements Configurator {

  /**
   * java-control-plane logs a line per cancelled stream and, for a request naming resources
   * the snapshot lacks, a line with every name requested: both at INFO, neither bounded by
   * anything a client cannot choose. Our own stream lines are clipped and rate limited.
   */
  private static final String CONTROL_PLANE = "io.envoyproxy.controlplane";
  private static final String CONFIGURATION_FILE = "logback.configurationFile";

  /** For logback's service loader. */
  public LogBackend() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty(CONFIGURATION_FILE) != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    configure(context, LogOptions.Format.TEXT, LogOptions.Level.INFO);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * Re-configures logging: one appender on standard error writing {@code format}, the root
   * logger at {@code level}. Does nothing when SLF4J is bound to another backend (a tool's
   * command run inside an application that brings its own) or a configuration file was given.
   */
  public static void configure(LogOptions.Format format, LogOptions.Level level) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context
        && System.getProperty(CONFIGURATION_FILE) == null) {
      configure(context, format, level);
    }
  }

  private static synchronized void configure(LoggerContext context, LogOptions.Format format,
      LogOptions.Level level) {
    context.reset();

    LevelChangePropagator julLevels = new LevelChangePropagator();
    julLevels.setContext(context);
    julLevels.setResetJUL(true);
    julLevels.start();
    context.addListener(julLevels);
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }

    LogLineEncoder encoder = new LogLineEncoder(format);
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("stderr");
    console.setTarget("System.err");
    console.setEncoder(encoder);
    console.start();

    Level root = Level.toLevel(level.name());
    Logger rootLogger = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLogger.setLevel(root);
    rootLogger.addAppender(console);
    // Asked for debug, java-control-plane's lines are wanted too.
    context.getLogger(CONTROL_PLANE).setLevel(root == Level.INFO ? Level.WARN : root);
  }
}
