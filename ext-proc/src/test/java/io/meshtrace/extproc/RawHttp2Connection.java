package io.meshtrace.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One HTTP/2 connection written frame by frame, for clients no gRPC library would be: it opens
 * as many streams as it likes, whatever the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS}.
 * It gives the server unlimited windows and reads and drops everything the server sends,
 * counting the streams the server refused, so the only thing it does wrong is what a test asks.
 * Headers are HPACK literals without indexing, which every decoder must accept.
 */
final class RawHttp2Connection implements AutoCloseable {

  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int DATA = 0x0;
  private static final int HEADERS = 0x1;
  private static final int RST_STREAM = 0x3;
  private static final int SETTINGS = 0x4;
  private static final int GOAWAY = 0x7;
  private static final int WINDOW_UPDATE = 0x8;
  private static final int END_HEADERS = 0x4;
  private static final int ACK = 0x1;
  private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
  private static final int MAX_WINDOW = Integer.MAX_VALUE;
  private static final int DEFAULT_WINDOW = 65_535;
  private static final int REFUSED_STREAM = 0x7;

  private final Socket socket;
  private final OutputStream out;
  private final Thread reader;
  private final Object window = new Object();
  /** What the server still lets this client send on the connection; guarded by {@link #window}. */
  private long connectionWindow = DEFAULT_WINDOW;
  private final Set<Integer> refused = ConcurrentHashMap.newKeySet();
  private final AtomicInteger resets = new AtomicInteger();
  private volatile boolean goAway;
  private final String authority;

  private RawHttp2Connection(Socket socket, String authority) throws IOException {
    this.socket = socket;
    this.authority = authority;
    this.out = new BufferedOutputStream(socket.getOutputStream(), 64 << 10);
    this.reader = new Thread(this::readFrames, "raw-http2-reader");
    reader.setDaemon(true);
  }

  static RawHttp2Connection open(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setTcpNoDelay(true);
    RawHttp2Connection connection = new RawHttp2Connection(socket, "127.0.0.1:" + port);
    synchronized (connection.out) {
      connection.out.write(PREFACE);
      byte[] settings = new byte[6];
      settings[1] = SETTINGS_INITIAL_WINDOW_SIZE;
      putInt(settings, 2, MAX_WINDOW);
      connection.frame(SETTINGS, 0, 0, settings);
      byte[] increment = new byte[4];
      putInt(increment, 0, MAX_WINDOW - DEFAULT_WINDOW);
      connection.frame(WINDOW_UPDATE, 0, 0, increment);
      connection.out.flush();
    }
    connection.reader.start();
    return connection;
  }

  /** Opens stream {@code streamId} (odd, increasing) as a gRPC call of the ext_proc method. */
  void openStream(int streamId) throws IOException {
    byte[] block = headerBlock(
        ":method", "POST",
        ":scheme", "http",
        ":path", "/" + ExternalProcessorGrpc.getProcessMethod().getFullMethodName(),
        ":authority", authority,
        "content-type", "application/grpc",
        "te", "trailers");
    synchronized (out) {
      frame(HEADERS, END_HEADERS, streamId, block);
    }
  }

  /**
   * Sends {@code message} on an open stream without ending it. Waits (at most 10 s) for
   * connection window when the server has not returned enough yet.
   */
  void send(int streamId, ProcessingRequest message) throws IOException, InterruptedException {
    byte[] data = grpcFrame(message.toByteArray());
    awaitWindow(data.length);
    synchronized (out) {
      frame(DATA, 0, streamId, data);
    }
  }

  void flush() throws IOException {
    synchronized (out) {
      out.flush();
    }
  }

  /** Streams the server answered with RST_STREAM REFUSED_STREAM. */
  int refusedStreams() {
    return refused.size();
  }

  boolean refused(int streamId) {
    return refused.contains(streamId);
  }

  /** RST_STREAM frames of any code. */
  int resetStreams() {
    return resets.get();
  }

  boolean goAwayReceived() {
    return goAway;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    socket.close();
    reader.join(TimeUnit.SECONDS.toMillis(5));
  }

  private void awaitWindow(int bytes) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    synchronized (window) {
      while (connectionWindow < bytes) {
        flush();
        long left = deadline - System.nanoTime();
        if (left <= 0 || socket.isClosed()) {
          throw new IOException("server returned no connection window for 10 s");
        }
        window.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
      connectionWindow -= bytes;
    }
  }

  private void readFrames() {
    try {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] header = new byte[9];
      while (true) {
        in.readFully(header);
        int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
        int type = header[3] & 0xff;
        int flags = header[4] & 0xff;
        int streamId = getInt(header, 5) & MAX_WINDOW;
        byte[] payload = new byte[length];
        in.readFully(payload);
        switch (type) {
          case SETTINGS -> {
            if ((flags & ACK) == 0) {
              synchronized (out) {
                frame(SETTINGS, ACK, 0, new byte[0]);
                out.flush();
              }
            }
          }
          case WINDOW_UPDATE -> {
            if (streamId == 0) {
              synchronized (window) {
                connectionWindow += getInt(payload, 0) & MAX_WINDOW;
                window.notifyAll();
              }
            }
          }
          case RST_STREAM -> {
            resets.incrementAndGet();
            if (getInt(payload, 0) == REFUSED_STREAM) {
              refused.add(streamId);
            }
          }
          case GOAWAY -> goAway = true;
          default -> { }
        }
      }
    } catch (IOException e) {
      // the connection ended
    }
  }

  private void frame(int type, int flags, int streamId, byte[] payload) throws IOException {
    byte[] header = new byte[9];
    header[0] = (byte) (payload.length >>> 16);
    header[1] = (byte) (payload.length >>> 8);
    header[2] = (byte) payload.length;
    header[3] = (byte) type;
    header[4] = (byte) flags;
    putInt(header, 5, streamId);
    out.write(header);
    out.write(payload);
  }

  /** HPACK: each field a literal without indexing, new name (RFC 7541, 6.2.2), no Huffman. */
  private static byte[] headerBlock(String... pairs) {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (int i = 0; i < pairs.length; i += 2) {
      block.write(0x00);
      literal(block, pairs[i]);
      literal(block, pairs[i + 1]);
    }
    return block.toByteArray();
  }

  private static void literal(ByteArrayOutputStream block, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    int length = bytes.length;
    if (length < 127) {
      block.write(length);
    } else {
      block.write(127);
      length -= 127;
      while (length >= 128) {
        block.write((length & 0x7f) | 0x80);
        length >>>= 7;
      }
      block.write(length);
    }
    block.write(bytes, 0, bytes.length);
  }

  /** A gRPC length-prefixed message: not compressed, 4-byte big-endian length, the bytes. */
  private static byte[] grpcFrame(byte[] message) {
    byte[] framed = new byte[5 + message.length];
    putInt(framed, 1, message.length);
    System.arraycopy(message, 0, framed, 5, message.length);
    return framed;
  }

  private static void putInt(byte[] bytes, int at, int value) {
    bytes[at] = (byte) (value >>> 24);
    bytes[at + 1] = (byte) (value >>> 16);
    bytes[at + 2] = (byte) (value >>> 8);
    bytes[at + 3] = (byte) value;
  }

  private static int getInt(byte[] bytes, int at) {
    return ((bytes[at] & 0xff) << 24) | ((bytes[at + 1] & 0xff) << 16)
        | ((bytes[at + 2] & 0xff) << 8) | (bytes[at + 3] & 0xff);
  }
}
