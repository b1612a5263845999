package io.meshtrace.xds.live;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Replaces a file so that readers, and the file after a crash, see the old content or the new,
 * never a part: write a temp file in the same directory, fsync it, rename it over the target
 * with {@code ATOMIC_MOVE}, fsync the directory. A symlinked target is written where it points.
 * A {@link Guard} runs just before the rename and can still call the write off.
 */
final class AtomicFileWriter {

  /** Called after each chunk is written; tests throw from it to fail mid-way. */
  interface Progress {
    void written(long bytes) throws IOException;
  }

  /** Runs after the new content is on disk and before it replaces the target. */
  interface Guard {
    /** Throws to leave the target as it is; {@code real} is the target's resolved path. */
    void beforeReplace(Path real) throws IOException;
  }

  static final Progress NONE = bytes -> { };
  static final Guard ALWAYS = real -> { };
  private static final int CHUNK = 4096;

  private AtomicFileWriter() {}

  static void write(Path target, byte[] data, Progress progress) throws IOException {
    write(target, data, progress, ALWAYS);
  }

  static void write(Path target, byte[] data, Progress progress, Guard guard)
      throws IOException {
    Path real = Files.exists(target) ? target.toRealPath() : target.toAbsolutePath();
    Path dir = real.getParent();
    Path tmp = Files.createTempFile(dir, "." + real.getFileName() + ".", ".tmp");
    boolean moved = false;
    try {
      copyPermissions(real, tmp);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        int pos = 0;
        while (pos < data.length) {
          int n = Math.min(CHUNK, data.length - pos);
          ByteBuffer buf = ByteBuffer.wrap(data, pos, n);
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
          pos += n;
          progress.written(pos);
        }
        ch.force(true);
      }
      guard.beforeReplace(real);
      Files.move(tmp, real, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      moved = true;
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      } catch (IOException e) {
        // Some file systems cannot sync a directory; the rename itself is already atomic.
      }
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private static void copyPermissions(Path from, Path to) {
    try {
      if (Files.exists(from)) {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(from);
        Files.setPosixFilePermissions(to, p);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // Not a POSIX file system: keep the temp file's permissions.
    }
  }
}
