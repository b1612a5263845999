package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Error;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class TransportLogLimiterTest {

  private static LogRecord streamError(int stream) {
    LogRecord record = new LogRecord(Level.WARNING, "Stream Error");
    record.setThrown(Http2Exception.streamError(stream, Http2Error.REFUSED_STREAM,
        "Maximum active streams violated for this endpoint: 1000\nsecond line"));
    return record;
  }

  @Test
  void streamErrorFlood_writesOneBoundedLine_withoutStackTrace_thenCountsTheDropped() {
    TransportLogLimiter limiter = new TransportLogLimiter();
    LogRecord first = streamError(1);
    assertThat(limiter.isLoggable(first)).isTrue();
    assertThat(first.getThrown()).isNull();
    assertThat(first.getMessage())
        .startsWith("Stream Error: ")
        .contains("Maximum active streams violated")
        .doesNotContain("\n")
        .hasSizeLessThan(600);
    for (int i = 0; i < 9_000; i++) {
      assertThat(limiter.isLoggable(streamError(2 * i + 3))).isFalse();
    }
    assertThat(limiter.isLoggable(new LogRecord(Level.FINE, "Window: 1"))).as("debug lines")
        .isTrue();
  }

  @Test
  void install_limitsGrpcsServerHandlerLogger() {
    TransportLogLimiter.install();
    Logger logger = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
    List<LogRecord> written = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        written.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    assertThat(logger.getFilter()).isInstanceOf(TransportLogLimiter.class);
    logger.addHandler(capture);
    boolean parents = logger.getUseParentHandlers();
    logger.setUseParentHandlers(false);
    try {
      for (int i = 0; i < 1_000; i++) {
        logger.log(streamError(2 * i + 1));
      }
    } finally {
      logger.removeHandler(capture);
      logger.setUseParentHandlers(parents);
    }
    assertThat(written).hasSizeLessThanOrEqualTo(1);
  }
}
