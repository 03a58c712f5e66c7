package io.fieldlink.sample;

import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.Nftables;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live page in a real browser: Debian's Chromium, headless, loads the sample's page from the
 * real Payara Micro (real rars, real simulated devices), runs its scripts under the page's
 * Content-Security-Policy and prints the DOM they built. Every device shows UP; a pulled cable
 * (nftables) turns the device DOWN in the rendered page with "down for ..." and a DOWN stretch on
 * its timeline; after the heal the device is UP again and the outage stays visible on the timeline
 * and in the notices ("down 3.1 s, 2 attempts"). Screenshots go to {@code target/live-page*.png};
 * the page's own load time (performance.now() at its first complete picture) is printed.
 *
 * <p>Needs {@code chromium} (and root + {@code nft} for the cable); without them the tests are
 * skipped with the reason, except under {@code CI=true}, where they fail.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LivePageIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int PORT1 = SimulatedPlant.PORT1;
    private static final List<String> IDS = List.of("plc-1", "plc-2", "plc-3");
    /** Virtual time the page's scripts get before the DOM is taken: its first refresh and two more. */
    private static final long BUDGET_MS = 3_000;
    private static final Path TARGET = Path.of("target");

    private static DeviceSimulator plc1;
    private static DeviceSimulator plc2;
    private static DeviceSimulator plc3;
    private static SimulatedPlant plant;

    @ArquillianResource
    private URL announced;

    @Deployment(testable = false)
    static WebArchive sample() {
        // the devices first: the sample opens the pool when it starts (its metrics and watch),
        // and Arquillian deploys before any @BeforeAll runs
        devices();
        return ShrinkWrap.create(ZipImporter.class, "fieldlink-sample.war")
                .importFrom(new File("target/fieldlink-sample.war")).as(WebArchive.class);
    }

    @BeforeAll
    static synchronized void devices() {
        if (plant != null) {
            return;
        }
        plant = SimulatedPlant.start();
        plc1 = plant.plc1;
        plc2 = plant.plc2;
        plc3 = plant.plc3;
    }

    @AfterAll
    static void stopDevices() {
        if (plant != null) {
            plant.close();
        }
    }

    /** Skips (locally) or fails (CI=true) when something the test needs is missing. */
    private static void require(String what, String problem) {
        if (problem == null) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(what + " must run in CI: " + problem);
        }
        Assumptions.abort(what + " skipped: " + problem);
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + announced.getPort() + announced.getPath());
    }

    @Test
    @Order(1)
    void theRenderedPageShowsEveryDeviceUpWithItsRequests() throws Exception {
        require("the browser test", HeadlessChromium.unavailableReason());
        for (String id : IDS) {
            awaitState(id, "UP", 10_000);
        }
        for (int i = 0; i < 20; i++) { // something for the chart to draw
            for (String id : IDS) {
                assertThat(post("api/devices/" + id + "/request", "{\"text\":\"READ V" + i + "\"}")).isEqualTo(200);
            }
        }
        HeadlessChromium.Run page = HeadlessChromium.dumpDom(base(), BUDGET_MS);
        String dom = page.stdout();
        assertThat(page.consoleLines()).as("console errors and CSP refusals").isEmpty();
        assertThat(dom).as("the page's first complete picture").contains("data-first-render-ms=\"");
        for (String id : IDS) {
            Device d = device(dom, id);
            assertThat(d.state()).as(id).isEqualTo("UP");
            assertThat(d.html()).as(id).contains(">UP</span>").containsPattern("up since \\d{2}:\\d{2}:\\d{2}")
                    .contains("<rect class=\"seg UP\"").doesNotContain("<rect class=\"seg DOWN\"")
                    .contains("no outage")
                    .containsPattern("last min: [0-9.]+ req/s, p50 [0-9.]+ (us|ms|s), p99 [0-9.]+ (us|ms|s)")
                    .contains("<polyline class=\"line p50\"").contains("<rect class=\"bar\"");
        }
        report("all UP", page);
        HeadlessChromium.screenshot(base(), BUDGET_MS, TARGET.resolve("live-page-up.png"), 1280, 900);
    }

    @Test
    @Order(2)
    void aPulledCableTurnsTheDeviceDownInTheRenderedPageAndTheOutageStaysOnItsTimeline() throws Exception {
        require("the browser test", HeadlessChromium.unavailableReason());
        require("the browser cable-pull test", Nftables.unavailableReason());
        awaitState("plc-1", "UP", 10_000);
        Nftables cable = new Nftables("fl_page_" + ProcessHandle.current().pid());
        try {
            cable.pull(PORT1);
            // keepalive 1 s + 1 s x 2 = 3 s bound; the MDB receives the notice from the embedded broker
            assertThat(awaitNotice(n -> n.getString("event").equals("DROPPED") && n.getString("deviceId").equals("plc-1"),
                    8_000)).as("DROPPED received by the MDB").isTrue();
            assertThat(post("api/devices/plc-1/request", "{\"text\":\"during\"}")).isEqualTo(503);

            HeadlessChromium.Run page = HeadlessChromium.dumpDom(base(), BUDGET_MS);
            String dom = page.stdout();
            assertThat(page.consoleLines()).as("console errors and CSP refusals").isEmpty();
            Device down = device(dom, "plc-1");
            assertThat(down.state()).isEqualTo("DOWN");
            assertThat(down.html()).contains(">DOWN</span>").containsPattern("down for \\d+(\\.\\d)? s")
                    .contains("<rect class=\"seg DOWN\"").contains("1 outage, down ")
                    .containsPattern("failed: \\d+ down");
            assertThat(device(dom, "plc-2").state()).isEqualTo("UP");
            assertThat(notices(dom)).as("the notices table").containsPattern(
                    "<td class=\"DROPPED\">DROPPED</td><td>plc-1</td><td>[^<]+; \\d+ connections? broken</td>");
            report("plc-1 DOWN", page);
            HeadlessChromium.screenshot(base(), BUDGET_MS, TARGET.resolve("live-page-down.png"), 1280, 900);
        } finally {
            cable.plugBack();
        }
        assertThat(awaitNotice(n -> n.getString("event").equals("RESTORED") && n.getString("deviceId").equals("plc-1"),
                8_000)).as("RESTORED received by the MDB").isTrue();
        awaitState("plc-1", "UP", 5_000);

        // after the fact: UP again, and the flap is still there to see
        HeadlessChromium.Run page = HeadlessChromium.dumpDom(base(), BUDGET_MS);
        String dom = page.stdout();
        Device up = device(dom, "plc-1");
        assertThat(up.state()).isEqualTo("UP");
        assertThat(up.html()).containsPattern("up since \\d{2}:\\d{2}:\\d{2}").contains("<rect class=\"seg DOWN\"")
                .contains("1 outage, down ");
        assertThat(notices(dom)).containsPattern(
                "<td class=\"RESTORED\">RESTORED</td><td>plc-1</td><td>down \\d+(\\.\\d)? s, \\d+ attempts?</td>");
        report("plc-1 healed", page);
        Path png = TARGET.resolve("live-page.png");
        HeadlessChromium.Run shot = HeadlessChromium.screenshot(base(), BUDGET_MS, png, 1280, 900);
        assertThat(Files.size(png)).as(png + " written").isGreaterThan(10_000);
        System.out.printf("live page screenshot: %s (%d bytes, chromium run %d ms)%n", png.toAbsolutePath(),
                Files.size(png), shot.wallMillis());
    }

    // ---- the rendered DOM -----------------------------------------------------------------------

    /** A device's row in the rendered page: its data-state and its HTML. */
    private record Device(String state, String html) {
    }

    private static Device device(String dom, String id) {
        Matcher m = Pattern.compile("<tr data-device=\"" + Pattern.quote(id) + "\" data-state=\"([A-Z]+)\">(.*?)</tr>",
                Pattern.DOTALL).matcher(dom);
        assertThat(m.find()).as("a row for " + id + " in the rendered page:\n" + dom).isTrue();
        return new Device(m.group(1), m.group(2));
    }

    private static String notices(String dom) {
        Matcher m = Pattern.compile("<table id=\"notices\">(.*?)</table>", Pattern.DOTALL).matcher(dom);
        assertThat(m.find()).as("the notices table").isTrue();
        return m.group(1);
    }

    /** Prints the page's own timings (from its body's data- attributes) and the browser run's. */
    private static void report(String when, HeadlessChromium.Run page) {
        System.out.printf("live page (%s): first complete render %s ms after navigation start (performance.now()), "
                        + "DOMContentLoaded %s ms; chromium run %d ms wall clock (start, load, %d ms of virtual time, exit)%n",
                when, attribute(page.stdout(), "data-first-render-ms"), attribute(page.stdout(), "data-dom-content-loaded-ms"),
                page.wallMillis(), BUDGET_MS);
    }

    private static String attribute(String dom, String name) {
        Matcher m = Pattern.compile("<body[^>]*\\s" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(dom);
        return m.find() ? m.group(1) : "?";
    }

    // ---- the API --------------------------------------------------------------------------------

    private JsonValue get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base().resolve(path)).timeout(Duration.ofSeconds(20))
                .build(), HttpResponse.BodyHandlers.ofString());
        return Json.createReader(new StringReader(r.body())).readValue();
    }

    private int post(String path, String json) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(base().resolve(path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").header("X-FieldLink-Request", "1") // as the page sends it
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private String state(String id) throws Exception {
        JsonArray all = get("api/devices").asJsonArray();
        return all.stream().map(JsonValue::asJsonObject).filter(d -> d.getString("deviceId").equals(id))
                .findFirst().orElseThrow().getString("state");
    }

    private void awaitState(String id, String state, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!state(id).equals(state)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + " not " + state + " within " + timeoutMs + " ms");
            }
            Thread.sleep(20);
        }
    }

    /** Waits for a real edge's notice (a first verdict after start, marked initial, does not count). */
    private boolean awaitNotice(Predicate<JsonObject> p, long timeoutMs) throws Exception {
        Predicate<JsonObject> edge = n -> !n.getBoolean("initial", false);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (get("api/notices").asJsonArray().stream().map(JsonValue::asJsonObject).anyMatch(edge.and(p))) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
