package io.meshtrace.xds;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshtrace.cli.ExitCode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code xds-server proxy-status}: every replica's proxies in one table, as
 * {@code istioctl proxy-status} prints them.
 *
 * <pre>
 * NAME              CLUSTER         REPLICA      CDS                  LDS                  EDS  ...
 * productpage-1     productpage     xds-a        SYNCED (3f2a9c1b)    NACK (77aa01ce)      ...
 * </pre>
 * Per type: {@code SYNCED} (the version sent was acknowledged), {@code NACK} (it was rejected),
 * {@code STALE} (sent, not yet acknowledged), {@code NOT SENT}; the version sent in brackets.
 * Exit 1 when the admin API cannot be read or a replica did not answer (the table shows the
 * others, the unreachable ones follow on standard error).
 */
@Command(name = "proxy-status", mixinStandardHelpOptions = true,
    description = {"Prints the proxies of every replica (GET /proxies?scope=fleet) as a table: "
        + "node, cluster, replica, and per type SYNCED / STALE / NACK / NOT SENT with the "
        + "version sent."})
final class ProxyStatusCommand implements Callable<Integer> {

  /** Columns per type, in istioctl's order, with the type names of {@code /proxies}. */
  private static final String[][] TYPES = {
      {"CDS", "clusters"}, {"LDS", "listeners"}, {"EDS", "endpoints"}, {"RDS", "routes"}};
  /** Characters of a version shown (content hashes; the full one is in /proxies). */
  static final int VERSION_CHARS = 12;

  private final PrintStream out;
  private final PrintStream err;

  @Spec
  private CommandSpec spec;

  @Mixin
  AdminClient admin = new AdminClient();

  ProxyStatusCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    AdminClient.Answer a = admin.get(spec.commandLine(), "/proxies?scope=fleet");
    if (a.status() != 200) {
      err.println("proxy-status: " + admin.admin + ": " + AdminClient.error(a));
      return ExitCode.FAILURE;
    }
    JsonNode view = AdminClient.JSON.readTree(a.body());
    List<JsonNode> proxies = new ArrayList<>();
    view.path("proxies").forEach(proxies::add);
    proxies.sort(Comparator.comparing((JsonNode p) -> p.path("node").asText())
        .thenComparing(p -> p.path("replica").asText()));
    TextTable t = new TextTable("NAME", "CLUSTER", "REPLICA", "CDS", "LDS", "EDS", "RDS");
    for (JsonNode p : proxies) {
      Object[] row = new Object[3 + TYPES.length];
      row[0] = p.path("node").asText();
      row[1] = p.path("cluster").asText();
      row[2] = p.path("replica").asText();
      for (int i = 0; i < TYPES.length; i++) {
        row[3 + i] = status(p, TYPES[i][1]);
      }
      t.row(row);
    }
    t.print(out);
    int missing = 0;
    for (JsonNode r : view.path("replicas")) {
      if (!"ok".equals(r.path("state").asText())) {
        missing++;
        err.println("proxy-status: " + r.path("peer").asText(r.path("peers").asText("?"))
            + " " + r.path("state").asText() + ": " + r.path("error").asText());
      }
    }
    return missing == 0 ? ExitCode.OK : ExitCode.FAILURE;
  }

  /** One type's cell: {@code SYNCED (3f2a9c1b0d4e)}, {@code NACK (...)}, ... */
  static String status(JsonNode proxy, String type) {
    JsonNode t = proxy.path("types").path(type);
    String sent = t.path("sent").asText("");
    if (sent.isEmpty()) {
      return "NOT SENT";
    }
    JsonNode nack = proxy.path("lastNack");
    String state;
    if (t.path("synced").asBoolean(false)) {
      state = "SYNCED";
    } else if (type.equals(nack.path("type").asText()) && sent.equals(nack.path("version")
        .asText())) {
      state = "NACK";
    } else {
      state = "STALE";
    }
    String v = sent.length() > VERSION_CHARS ? sent.substring(0, VERSION_CHARS) : sent;
    return state + " (" + v + ")";
  }
}
