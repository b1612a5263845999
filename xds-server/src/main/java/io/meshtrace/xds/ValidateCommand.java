package io.meshtrace.xds;

import io.meshtrace.cli.ExitCode;
import io.meshtrace.xds.config.ConfigException;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import io.meshtrace.xds.snapshot.GroupKey;
import io.meshtrace.xds.snapshot.MeshSnapshots;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code xds-server validate FILE}: parses, builds and checks every snapshot, serves nothing. */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = {"Checks a mesh config as serve would: every node group's snapshot is built "
        + "and checked against Envoy's rules.",
        "Exit 0 and the versions per group when valid, 3 with one line per problem when not, "
            + "1 when the file cannot be read."})
final class ValidateCommand implements Callable<Integer> {

  private final PrintStream out;
  private final PrintStream err;

  @Parameters(index = "0", paramLabel = "FILE", description = "The mesh config (YAML).")
  Path file;

  ValidateCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    return validate(file, out, err);
  }

  static int validate(Path file, PrintStream out, PrintStream err) {
    List<String> errors;
    MeshConfig config = null;
    Map<GroupKey, MeshSnapshots.Result> results = Map.of();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      err.println(file + ": cannot read: " + e.getMessage());
      return ExitCode.FAILURE;
    }
    try {
      config = ConfigParser.parse(text, file.toAbsolutePath().getParent());
      results = MeshSnapshots.buildAll(config, Set.of());
      errors = MeshSnapshots.errors(results);
    } catch (ConfigException e) {
      errors = e.errors();
    }
    if (!errors.isEmpty()) {
      err.println(file + ": invalid");
      errors.forEach(e -> err.println("  " + e));
      return ExitCode.CONFIG;
    }
    config.warnings().forEach(w -> err.println("warning: " + w));
    out.println(file + ": ok, propagation " + config.propagation().configName() + ", "
        + results.size() + " node groups");
    results.forEach((g, r) -> out.println("  " + g + " " + new TreeMap<>(r.versions())));
    return ExitCode.OK;
  }
}
