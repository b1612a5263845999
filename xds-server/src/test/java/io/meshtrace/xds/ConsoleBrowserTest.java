package io.meshtrace.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.internal.JsonParser;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.xds.XdsNameResolverProvider;
import io.meshtrace.check.ZipkinServerExtension;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, at /usr/bin; no driver or browser download), against the control
 * plane with grpc-java's xDS client connected and a real Zipkin. Each page's screenshot goes
 * to {@code target/console-screenshots/} ({@code docs/console/}, which the README shows, with
 * {@code -Dmeshtrace.screenshots=../docs/console}). The browser's log must hold no
 * JavaScript error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

  private static final String SCHEME = "xds-console-test";
  private static final String CHROMIUM = System.getProperty("meshtrace.chromium",
      "/usr/bin/chromium");
  private static final String CHROMEDRIVER = System.getProperty("meshtrace.chromedriver",
      "/usr/bin/chromedriver");
  /**
   * Where the screenshots go: the build's own directory, so a test run leaves the sources as
   * they were; {@code -Dmeshtrace.screenshots=../docs/console} retakes the README's.
   */
  private static final Path SCREENSHOTS = Path.of(System.getProperty("meshtrace.screenshots",
      "target/console-screenshots"));

  @RegisterExtension
  static final ZipkinServerExtension ZIPKIN = new ZipkinServerExtension();

  @TempDir
  static Path dir;

  private Server backend;
  private TestServer server;
  private ManagedChannel channel;
  private XdsNameResolverProvider resolver;
  private ChromeDriver browser;
  private WebDriverWait wait;
  private final List<String> jsErrors = new ArrayList<>();

  @BeforeAll
  @SuppressWarnings("unchecked")
  void start() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    backend = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
        InsecureServerCredentials.create()).addService(health.getHealthService()).build().start();
    String yaml = """
        meshVersion: "1.22.0"
        defaultProviders:
          tracing: [otel]
        extensionProviders:
          - name: otel
            opentelemetry:
              service: otel-collector.observability
              port: 4317
              grpc:
                timeout: 5s
                initialMetadata:
                  - name: authorization
                    value: Bearer collector-secret-value
          - name: zipkin
            zipkin:
              service: zipkin.istio-system
              port: 9411
          - name: skywalking
            skywalking:
              service: skywalking-oap.istio-system
              port: 11800
              accessToken: skywalking-secret-value
        tracing:
          - randomSamplingPercentage: 10
          - selector:
              services: [reviews]
            randomSamplingPercentage: 50
        services:
          - name: productpage
            ports: [{name: http, number: 9080}]
            endpoints: [{address: 10.0.0.10}]
            dependencies: [reviews]
            routes:
              - name: api
                prefix: /api/v1/products
                tracing:
                  randomSamplingPercentage: 20
          - name: reviews
            ports: [{name: grpc, number: 9080, protocol: GRPC}]
            endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        """.formatted(backend.getPort());
    server = TestServer.start(dir, yaml);
    // A bootstrap of its own, under a scheme of its own: grpc-java caches the default
    // bootstrap and its xDS client per target for the whole JVM, and another test of this run
    // may have used them against a control plane that is gone.
    resolver = XdsNameResolverProvider.createForTest(SCHEME, (Map<String, ?>) JsonParser.parse("""
        {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
          "server_features": ["xds_v3"]}],
         "node": {"id": "grpc-client-1", "cluster": "productpage", "metadata": {"ROLE": "grpc"}}}
        """.formatted(server.app.adsPort())));
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder(SCHEME + ":///reviews", InsecureChannelCredentials.create())
        .build();
    HealthCheckResponse r = HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS).withWaitForReady()
        .check(HealthCheckRequest.getDefaultInstance());
    assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

    assertThat(new File(CHROMIUM)).as("Debian's chromium (apt-get install chromium)").isFile();
    assertThat(new File(CHROMEDRIVER)).as("Debian's chromium-driver").isFile();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--window-size=1280,900", "--no-first-run",
        "--disable-extensions", "--disable-background-networking");
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort()
        .withTimeout(Duration.ofSeconds(30)).build();
    browser = new ChromeDriver(service, options);
    wait = new WebDriverWait(browser, Duration.ofSeconds(15));
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterEach
  void collectBrowserLog() {
    for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
      // A refused fetch (the 404 of a route this server lacks, a 401) is logged by the network
      // layer; it is not a script error. Everything else at SEVERE is.
      if (e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()
          && !e.getMessage().contains("Failed to load resource")) {
        jsErrors.add(e.getMessage());
      }
    }
    assertThat(jsErrors).as("JavaScript errors in the browser log").isEmpty();
  }

  @AfterAll
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    if (server != null) {
      server.close();
    }
    if (backend != null) {
      backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(1)
  void signIn_wrongTokenRefused_rightTokenShowsOverview() throws Exception {
    browser.get(server.admin() + "/");
    WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    token.sendKeys("wrong", Keys.ENTER);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-error"),
        "missing or wrong bearer token"));
    browser.findElement(By.id("token")).sendKeys(TestServer.TOKEN, Keys.ENTER);
    ready("overview");
    assertThat(text("overview-tracing")).isEqualTo("on");
    assertThat(text("overview-provider")).isEqualTo("otel (opentelemetry)");
    assertThat(text("overview-sampling")).isEqualTo("10 %");
    assertThat(text("overview-propagation")).startsWith("w3c").contains("meshVersion 1.22.0");
    assertThat(text("overview-proxies")).isEqualTo("1 synced, 0 stale, 0 rejecting");
    assertThat(browser.getPageSource()).doesNotContain(TestServer.TOKEN);
    screenshot("overview");
  }

  @Test
  @Order(2)
  void sampling_setTo5Percent_grpcClientAcksNewVersion() throws Exception {
    String before = server.app.plane().versions("grpc/productpage").get("listeners");
    open("sampling");
    assertThat(browser.findElement(By.id("sampling-groups")).getText())
        .contains("sidecar/reviews").contains("50 %").contains("api /api/v1/products: 20 %");
    WebElement global = browser.findElement(By.id("sampling-global"));
    global.clear();
    global.sendKeys("5");
    wait.until(ExpectedConditions.elementToBeClickable(By.id("sampling-save"))).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("sampling-result"),
        "Pushed"));
    String after = server.app.plane().versions("grpc/productpage").get("listeners");
    assertThat(after).isNotEqualTo(before);
    GrpcXdsEndToEndTest.awaitAcked(server, "grpc/productpage", "listeners", after);
    assertThat(server.get("/config/tracing").body()).contains("\"randomSamplingPercentage\" : 5");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("sampling-groups"),
        "5 % → otel"));
    screenshot("sampling");

    open("proxies");
    WebElement listeners = browser.findElement(
        By.cssSelector("tr[data-node='grpc-client-1'] td[data-type='listeners']"));
    assertThat(listeners.getText()).isEqualTo("SYNCED " + after);
  }

  @Test
  @Order(3)
  void provider_invalidPort_fieldMessageAndNothingPushed() throws Exception {
    String before = server.app.plane().versions("grpc/productpage").get("listeners");
    open("provider");
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("provider-pick")))
        .selectByVisibleText("zipkin — Zipkin");
    WebElement port = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("port")));
    assertThat(browser.findElement(By.id("path")).getAttribute("placeholder"))
        .isEqualTo("/api/v2/spans");
    port.clear();
    port.sendKeys("99999");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("port-msg"),
        "extensionProviders[1].zipkin.port=99999"));
    assertThat(browser.findElement(By.id("provider-submit")).isEnabled()).isFalse();
    port.sendKeys(Keys.ENTER);
    Thread.sleep(300);
    assertThat(server.app.plane().versions("grpc/productpage").get("listeners"))
        .isEqualTo(before);
    assertThat(server.get("/config/tracing").body()).contains("\"port\" : 9411");
    screenshot("provider");

    // Secrets: the OTel provider's authorization metadata and SkyWalking's token never reach
    // the page's text or fields.
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("provider-pick")))
        .selectByVisibleText("otel — OpenTelemetry over gRPC");
    wait.until(ExpectedConditions.attributeContains(By.id("headers"), "value",
        "authorization: (unchanged)"));
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("provider-pick")))
        .selectByVisibleText("skywalking — SkyWalking");
    assertThat(browser.findElement(By.id("accessToken")).getAttribute("value")).isEmpty();
    assertThat(browser.getPageSource()).doesNotContain("collector-secret-value")
        .doesNotContain("skywalking-secret-value");
  }

  @Test
  @Order(4)
  void proxies_showsClient_nodeOpensConfigOrSaysNotAvailable() throws Exception {
    open("proxies");
    WebElement row = browser.findElement(By.cssSelector("tr[data-node='grpc-client-1']"));
    assertThat(row.getText()).contains("grpc-client-1").contains("grpc/productpage")
        .contains("SYNCED");
    row.findElement(By.tagName("button")).click();
    wait.until(d -> !d.findElements(By.id("proxy-config-missing")).isEmpty()
        || !d.findElements(By.id("proxy-config-json")).isEmpty());
    screenshot("proxies");
  }

  @Test
  @Order(5)
  void explain_incompleteB3_repairKeepsTraceId() throws Exception {
    open("explain");
    browser.findElement(By.id("explain-headers")).sendKeys(
        "x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\nx-b3-sampled: 1\n");
    browser.findElement(By.id("explain-run")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("explain-verdict")));
    assertThat(text("explain-verdict")).isEqualTo("repair");
    assertThat(text("explain-reason")).startsWith("b3-span-id-missing");
    assertThat(text("explain-trace")).isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
    screenshot("explain");
  }

  @Test
  @Order(6)
  void traceBreaks_realZipkin_marksHopThatDropsHeaders() throws Exception {
    String a = hex(32);
    String b = hex(32);
    long t0 = System.currentTimeMillis() * 1000 - 5_000_000;
    String spans = "[" + String.join(",",
        span(a, "a000000000000001", null, "gateway", "CLIENT", t0, 50_000, "productpage"),
        span(a, "a000000000000002", "a000000000000001", "productpage", "SERVER", t0 + 1_000,
            48_000, null),
        span(a, "a000000000000003", "a000000000000002", "productpage", "CLIENT", t0 + 2_000,
            40_000, "reviews"),
        span(b, "b000000000000001", null, "reviews", "SERVER", t0 + 3_000, 38_000, null),
        span(b, "b000000000000002", "b000000000000001", "reviews", "CLIENT", t0 + 4_000,
            10_000, "ratings")) + "]";
    HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(ZIPKIN.baseUrl() + "/api/v2/spans"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(spans)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).as(post.body()).isEqualTo(202);
    ZIPKIN.awaitTrace(a, 3);
    ZIPKIN.awaitTrace(b, 2);

    open("breaks");
    browser.findElement(By.id("breaks-zipkin")).sendKeys(ZIPKIN.baseUrl());
    browser.findElement(By.id("breaks-trace")).sendKeys(a, Keys.ENTER);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("waterfall")));
    assertThat(text("breaks-findings")).contains("productpage -> reviews")
        .contains("productpage drops the trace headers");
    WebElement drops = browser.findElement(By.cssSelector(".waterfall .row.drops"));
    assertThat(drops.getAttribute("data-span")).isEqualTo("a000000000000003");
    WebElement broken = browser.findElement(By.cssSelector(".waterfall .row.new-trace"));
    assertThat(broken.getAttribute("data-span")).isEqualTo("b000000000000001");
    assertThat(browser.findElements(By.cssSelector(".waterfall .row"))).hasSize(5);
    screenshot("breaks");
  }

  private void open(String page) {
    browser.get(server.admin() + "/#" + page);
    browser.navigate().refresh();
    ready(page);
  }

  private void ready(String page) {
    wait.until(ExpectedConditions.attributeToBe(By.id("page"), "data-ready", page));
  }

  private String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  private void screenshot(String name) throws Exception {
    Files.createDirectories(SCREENSHOTS);
    Files.write(SCREENSHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
  }

  private static String hex(int n) {
    StringBuilder s = new StringBuilder();
    while (s.length() < n) {
      s.append(Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE));
    }
    return s.substring(0, n);
  }

  private static String span(String trace, String id, String parent, String service,
      String kind, long ts, long duration, String remote) {
    return "{\"traceId\":\"" + trace + "\",\"id\":\"" + id + "\""
        + (parent == null ? "" : ",\"parentId\":\"" + parent + "\"")
        + ",\"name\":\"" + kind.toLowerCase() + " " + service + "\",\"kind\":\"" + kind + "\""
        + ",\"timestamp\":" + ts + ",\"duration\":" + duration
        + ",\"localEndpoint\":{\"serviceName\":\"" + service + "\"}"
        + (remote == null ? "" : ",\"remoteEndpoint\":{\"serviceName\":\"" + remote + "\"}")
        + "}";
  }
}
