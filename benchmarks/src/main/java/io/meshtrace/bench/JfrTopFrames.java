package io.meshtrace.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU went in a JFR recording: execution samples counted by top frame (self) and by
 * every method on the stack (inclusive), as percentages of the samples kept. Used for the
 * profiles quoted in README.md.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.meshtrace.bench.JfrTopFrames rec.jfr [substring] [top]
 * }</pre>
 * With {@code substring}, only samples whose stack contains a frame with it in its name count.
 */
public final class JfrTopFrames {

  private JfrTopFrames() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: JfrTopFrames <file.jfr> [stack substring] [top]");
      System.exit(2);
    }
    String filter = args.length > 1 ? args[1] : "";
    int top = args.length > 2 ? Integer.parseInt(args[2]) : 25;
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> inclusive = new HashMap<>();
    int samples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
      if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
        continue;
      }
      List<RecordedFrame> frames = event.getStackTrace().getFrames();
      if (frames.isEmpty()) {
        continue;
      }
      List<String> names = new ArrayList<>(frames.size());
      boolean keep = filter.isEmpty();
      for (RecordedFrame frame : frames) {
        String name = frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
        names.add(name);
        keep |= name.contains(filter);
      }
      if (!keep) {
        continue;
      }
      samples++;
      self.merge(names.get(0) + ":" + frames.get(0).getLineNumber(), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (String name : names) {
        if (seen.add(name)) {
          inclusive.merge(name, 1, Integer::sum);
        }
      }
    }
    System.out.println(samples + " samples" + (filter.isEmpty() ? "" : " with " + filter + " on the stack"));
    print("self (top frame:line)", self, samples, top);
    print("inclusive", inclusive, samples, top);
  }

  private static void print(String title, Map<String, Integer> counts, int samples, int top) {
    System.out.println("--- " + title);
    counts.entrySet().stream()
        .sorted((a, b) -> b.getValue() - a.getValue())
        .limit(top)
        .forEach(e -> System.out.printf(Locale.ROOT, "%5.1f%%  %s%n",
            100.0 * e.getValue() / Math.max(1, samples), e.getKey()));
  }
}
