package io.meshtrace.xds.live;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the config file: a {@link WatchService} on its directory wakes the check early, and
 * the content is hashed on a short interval anyway, because a Kubernetes ConfigMap volume
 * changes the file by replacing the {@code ..data} symlink, which directory watches often miss.
 */
public final class ConfigFileWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigFileWatcher.class);

  private final ConfigStore store;
  private final Duration interval;
  private final Thread thread;
  private final WatchService watch;
  private volatile boolean running = true;

  private ConfigFileWatcher(ConfigStore store, Duration interval, WatchService watch) {
    this.store = store;
    this.interval = interval;
    this.watch = watch;
    this.thread = new Thread(this::run, "config-file-watcher");
    this.thread.setDaemon(true);
  }

  /** Starts following {@code store.file()}; checks at least every {@code interval}. */
  public static ConfigFileWatcher start(ConfigStore store, Duration interval) {
    WatchService ws = null;
    Path dir = store.file().toAbsolutePath().getParent();
    try {
      ws = FileSystems.getDefault().newWatchService();
      dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.info("no directory watch on {} ({}); polling every {} ms", dir, e.toString(),
          interval.toMillis());
    }
    ConfigFileWatcher w = new ConfigFileWatcher(store, interval, ws);
    w.thread.start();
    return w;
  }

  private void run() {
    while (running) {
      try {
        if (watch != null) {
          WatchKey key = watch.poll(interval.toMillis(), TimeUnit.MILLISECONDS);
          if (key != null) {
            key.pollEvents();
            key.reset();
          }
        } else {
          Thread.sleep(interval.toMillis());
        }
        store.reloadIfChanged();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.nio.file.ClosedWatchServiceException e) {
        return;
      } catch (RuntimeException | java.io.IOError e) {
        LOG.error("config check failed", e);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      if (watch != null) {
        watch.close();
      }
      thread.join(2000);
    } catch (IOException e) {
      LOG.debug("closing watch service", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
