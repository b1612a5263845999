package io.meshtrace.xds.live;

import com.google.common.hash.Hashing;
import io.meshtrace.xds.config.ConfigText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * What a config file holds at one moment: at most {@link ConfigText#MAX_BYTES} + 1 bytes (one
 * more than the limit, so an oversized file is known as such without reading it all) and their
 * SHA-256.
 *
 * @param bytes the content, or empty when the file is missing
 * @param size the file's size on disk
 * @param modified its modification time, null when missing
 */
record FileState(boolean exists, byte[] bytes, long size, String hash, FileTime modified) {

  static FileState read(Path file) throws IOException {
    long size;
    FileTime modified;
    byte[] bytes;
    try {
      size = Files.size(file);
      modified = Files.getLastModifiedTime(file);
      try (InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(ConfigText.MAX_BYTES + 1);
      }
    } catch (NoSuchFileException e) {
      return new FileState(false, new byte[0], 0, hash(new byte[0]), null);
    }
    return new FileState(true, bytes, Math.max(size, bytes.length), hash(bytes), modified);
  }

  /** Whether the content is over the limit (then {@code bytes} holds only its start). */
  boolean tooLarge() {
    return size > ConfigText.MAX_BYTES;
  }

  static String hash(byte[] bytes) {
    return Hashing.sha256().hashBytes(bytes).toString();
  }
}
