package io.fieldlink.sample;

import io.fieldlink.simulator.Behaviour;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.Nftables;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.apache.activemq.ActiveMQConnectionFactory;
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

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample on the real Payara Micro 6.2025.10 with the real FieldLink rar, the real ActiveMQ rar
 * (embedded broker) and real simulated devices: injection, a request through the container's
 * pool, and a pulled cable seen end to end (MDB notice, health view, fail-fast, heal). Then the
 * sample as code people copy: state-changing requests only with the header a page on another site
 * cannot send, error bodies that name one device, a page that inserts data only as text, a
 * hostile notice served back as inert JSON, and a server that listens on loopback only.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SampleContainerIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int PORT1 = SimulatedPlant.PORT1;
    private static final int PORT2 = SimulatedPlant.PORT2;
    private static final int PORT3 = SimulatedPlant.PORT3;
    private static final int BROKER_PORT = Integer.getInteger("it.brokerPort", 25028);
    /** What the page sends with every state-changing request; a page on another site cannot send it. */
    private static final Map<String, String> MARKED = Map.of("X-FieldLink-Request", "1");

    private static DeviceSimulator plc1;
    private static DeviceSimulator plc2;
    private static DeviceSimulator plc3;
    private static SimulatedPlant plant;

    /** Where Payara Micro says it runs (its public address); the sample listens on loopback only. */
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

    private record Reply(int status, JsonValue body, long millis, String contentType) {
        JsonObject object() {
            return body.asJsonObject();
        }
    }

    /** The sample on loopback, at the port and context root Payara Micro announced. */
    private URI base() {
        return URI.create("http://127.0.0.1:" + announced.getPort() + announced.getPath());
    }

    /** A call as the page makes it: state-changing requests carry the page's header. */
    private Reply call(String method, String path, String json) throws Exception {
        return call(method, path, json, "application/json", method.equals("GET") ? Map.of() : MARKED);
    }

    private Reply call(String method, String path, String body, String contentType, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base().resolve(path)).timeout(Duration.ofSeconds(20));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        long t = System.nanoTime();
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t) / 1_000_000;
        JsonValue json;
        try {
            json = r.body().isBlank() ? JsonValue.NULL : Json.createReader(new StringReader(r.body())).readValue();
        } catch (jakarta.json.JsonException notJson) {
            json = Json.createValue(r.body()); // e.g. the server's own HTML error page
        }
        return new Reply(r.statusCode(), json, ms, r.headers().firstValue("Content-Type").orElse(""));
    }

    /** One device's sample of a metric in the server's Prometheus text at /metrics. */
    private double metric(String name, String device) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base().resolve("/metrics?scope=application"))
                .header("Accept", "text/plain").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET /metrics: " + r.body()).isEqualTo(200);
        for (String line : r.body().split("\n")) {
            if (line.startsWith(name + "{") && line.contains("device=\"" + device + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + name + " for " + device + " in /metrics:\n" + r.body());
    }

    /** The data of one named check in a MicroProfile Health answer. */
    private static JsonObject healthData(Reply health, String check) {
        return health.object().getJsonArray("checks").stream().map(JsonValue::asJsonObject)
                .filter(c -> c.getString("name").equals(check)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + check + " in " + health.body()))
                .getJsonObject("data");
    }

    private JsonObject device(String id) throws Exception {
        JsonArray all = call("GET", "api/devices", null).body().asJsonArray();
        return all.stream().map(JsonValue::asJsonObject).filter(d -> d.getString("deviceId").equals(id))
                .findFirst().orElseThrow();
    }

    /** Waits for a real edge's notice (a device's first verdict after start, marked initial, does not count). */
    private boolean awaitNotice(Predicate<JsonObject> p, long timeoutMs) throws Exception {
        Predicate<JsonObject> edge = n -> !n.getBoolean("initial", false);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            JsonArray notices = call("GET", "api/notices", null).body().asJsonArray();
            if (notices.stream().map(JsonValue::asJsonObject).anyMatch(edge.and(p))) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    @Test
    @Order(1)
    void theInjectedFactoryServesRequestsThroughTheContainersPool() throws Exception {
        JsonArray devices = call("GET", "api/devices", null).body().asJsonArray();
        assertThat(devices).hasSize(3);
        // the pool opened with the factory: each device is UNKNOWN until its first connection settles
        for (String id : new String[] {"plc-1", "plc-2", "plc-3"}) {
            awaitState(id, "UP", 5_000);
        }
        assertThat(awaitNotice(n -> n.getString("event").equals("RESTORED"), 1)).as("initial verdicts are not edges")
                .isFalse();

        Reply r = call("POST", "api/devices/plc-1/request", "{\"text\":\"READ V1\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.object().getString("text")).isEqualTo("READ V1");
        Reply hex = call("POST", "api/devices/plc-2/request", "{\"hex\":\"50494e47\"}");
        assertThat(hex.status()).isEqualTo(200);
        assertThat(hex.object().getString("hex")).isEqualTo("50494e47");

        assertThat(call("POST", "api/devices/plc-9/request", "{\"text\":\"x\"}").status()).isEqualTo(404);
        assertThat(call("POST", "api/devices/plc-1/request", "{\"hex\":\"zz\"}").status()).isEqualTo(400);
        assertThat(call("POST", "api/devices/plc-1/request", "{}").status()).isEqualTo(400);
        Reply broken = call("POST", "api/devices/plc-1/request", "{\"text\":");
        assertThat(broken.status()).as("a body that is not JSON: " + broken.body()).isEqualTo(400);
    }

    @Test
    @Order(2)
    void aPulledCableIsNotifiedShownFailedFastAndHealed() throws Exception {
        String problem = Nftables.unavailableReason();
        if (problem != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("the container cable-pull test must run in CI: " + problem);
            }
            Assumptions.abort("cable-pull skipped: " + problem);
        }
        assertThat(call("POST", "api/devices/plc-1/request", "{\"text\":\"warm\"}").status()).isEqualTo(200);
        // MicroProfile Health: plc-1 is the essential device (sample-it.properties)
        Reply ready = call("GET", "/health/ready", null);
        assertThat(ready.status()).as("ready: " + ready.body()).isEqualTo(200);
        assertThat(healthData(ready, "fieldlink-essential-devices").getString("plc-1")).isEqualTo("UP");
        assertThat(metric("fieldlink_device_state", "plc-1")).as("state gauge at /metrics").isEqualTo(1.0);
        // from the adapter's MXBeans: the warm-up request above was counted and timed
        assertThat(metric("fieldlink_device_requests", "plc-1")).isGreaterThanOrEqualTo(1.0);
        assertThat(metric("fieldlink_device_latency_p50_seconds", "plc-1")).isGreaterThan(0.0);
        Nftables cable = new Nftables("fl_it_" + ProcessHandle.current().pid());
        try {
            cable.pull(PORT1);
            // keepalive 1 s + 1 s x 2 = 3 s bound; the MDB receives the notice from the embedded broker
            assertThat(awaitNotice(n -> n.getString("event").equals("DROPPED") && n.getString("deviceId").equals("plc-1"),
                    8_000)).as("DROPPED received by the MDB").isTrue();
            assertThat(device("plc-1").getString("state")).isEqualTo("DOWN");
            assertThat(device("plc-2").getString("state")).isEqualTo("UP");

            Reply down = call("POST", "api/devices/plc-1/request", "{\"text\":\"during\"}");
            assertThat(down.status()).isEqualTo(503);
            assertThat(down.object().getString("error")).contains("device plc-1").contains("down since");
            assertThat(down.millis()).isLessThan(1_000);
            assertThat(call("POST", "api/devices/plc-2/request", "{\"text\":\"other\"}").status()).isEqualTo(200);

            // an essential device down: not ready (out of the load balancer), but alive (no restart)
            Reply notReady = call("GET", "/health/ready", null);
            assertThat(notReady.status()).as("ready while plc-1 is down: " + notReady.body()).isEqualTo(503);
            assertThat(healthData(notReady, "fieldlink-essential-devices").getString("plc-1")).isEqualTo("DOWN");
            Reply live = call("GET", "/health/live", null);
            assertThat(live.status()).as("live while plc-1 is down: " + live.body()).isEqualTo(200);

            // what Prometheus scrapes: plc-1 DOWN (2) with a running outage, plc-2 still UP (1)
            assertThat(metric("fieldlink_device_state", "plc-1")).isEqualTo(2.0);
            assertThat(metric("fieldlink_device_state", "plc-2")).isEqualTo(1.0);
            assertThat(metric("fieldlink_device_outage_seconds", "plc-1")).isGreaterThan(0.0);
            assertThat(metric("fieldlink_device_drops", "plc-1")).isGreaterThanOrEqualTo(1.0);
            assertThat(metric("fieldlink_device_errors_down", "plc-1")).as("the fail-fast request above")
                    .isGreaterThanOrEqualTo(1.0);
        } finally {
            cable.plugBack();
        }
        assertThat(awaitNotice(n -> n.getString("event").equals("RESTORED") && n.getString("deviceId").equals("plc-1"),
                8_000)).as("RESTORED received by the MDB").isTrue();
        assertThat(device("plc-1").getString("state")).isEqualTo("UP");
        assertThat(call("GET", "/health/ready", null).status()).isEqualTo(200);
        Reply back = call("POST", "api/devices/plc-1/request", "{\"text\":\"after\"}");
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.object().getString("text")).isEqualTo("after");
        assertThat(device("plc-1").getInt("drops")).isEqualTo(1);
    }

    @Test
    @Order(3)
    void aHungDeviceTimesOutWithAClearError() throws Exception {
        plc2.behave(io.fieldlink.simulator.Behaviour.HANG);
        try {
            Reply r = call("POST", "api/devices/plc-2/request", "{\"text\":\"hello?\",\"timeoutMs\":500}");
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.object().getString("error")).contains("no answer within 500 ms");
        } finally {
            plc2.behave(io.fieldlink.simulator.Behaviour.ECHO);
        }
        assertThat(call("POST", "api/devices/plc-2/request", "{\"text\":\"ok\"}").status()).isEqualTo(200);
    }

    /** One HTTP request of the load test: what was asked, what came back, when. */
    private record Outcome(String device, int status, boolean ownAnswer, long startNanos, long millis, String error) {
    }

    @Test
    @Order(4)
    void underLoadNoHealthyRequestIsRefusedAndEveryAnswerIsItsOwn() throws Exception {
        String problem = Nftables.unavailableReason();
        if (problem != null && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException("the container load test must pull a cable in CI: " + problem);
        }
        JsonArray threadsBefore = call("GET", "api/diagnostics", null).object().getJsonArray("adapterThreads");
        int callers = 32;
        int perCaller = 200;
        String[] ids = {"plc-1", "plc-2", "plc-3"};
        java.util.concurrent.ConcurrentLinkedQueue<Outcome> outcomes = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
        long started = System.nanoTime();
        long[] pulledAt = {0};
        long[] upAgainAt = {Long.MAX_VALUE};
        long[] downAt = {Long.MAX_VALUE};
        try {
            List<java.util.concurrent.Future<?>> running = new java.util.ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int caller = c;
                running.add(pool.submit(() -> {
                    for (int i = 0; i < perCaller; i++) {
                        String id = ids[(caller + i) % ids.length];
                        String text = "caller " + caller + " request " + i + " to " + id;
                        long t = System.nanoTime();
                        Reply r = call("POST", "api/devices/" + id + "/request", "{\"text\":\"" + text + "\"}");
                        boolean own = r.status() == 200 && r.object().getString("text").equals(text);
                        outcomes.add(new Outcome(id, r.status(), own, t, r.millis(),
                                r.status() == 200 ? null : String.valueOf(r.body())));
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            int total = callers * perCaller;
            if (problem == null) {
                Nftables cable = new Nftables("fl_load_" + ProcessHandle.current().pid());
                while (done.get() < total / 5) {
                    Thread.sleep(5);
                }
                pulledAt[0] = System.nanoTime();
                cable.pull(PORT1);
                try {
                    // past the keepalive bound (3 s) and into the fail-fast phase
                    awaitState("plc-1", "DOWN", 8_000);
                    downAt[0] = System.nanoTime();
                    Thread.sleep(2_000);
                } finally {
                    cable.plugBack();
                }
                awaitState("plc-1", "UP", 8_000);
                upAgainAt[0] = System.nanoTime();
            }
            for (java.util.concurrent.Future<?> f : running) {
                f.get(5, java.util.concurrent.TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        List<Outcome> all = List.copyOf(outcomes);
        // plc-1's requests still under way when the cable was pulled, or started before it was UP again,
        // met the outage; all others were to a healthy device
        List<Outcome> healthy = all.stream().filter(o -> !o.device().equals("plc-1") || pulledAt[0] == 0
                || o.startNanos() + o.millis() * 1_000_000 < pulledAt[0] || o.startNanos() > upAgainAt[0]).toList();
        List<Outcome> pulled = all.stream().filter(o -> !healthy.contains(o)).toList();
        long refused = healthy.stream().filter(o -> o.status() != 200).count();
        long wrong = all.stream().filter(o -> o.status() == 200 && !o.ownAnswer()).count();
        long failFast = pulled.stream().filter(o -> o.status() == 503).count();
        // callers that asked while DOWN was known; the ones that asked during detection waited for it
        long slowestFailFast = pulled.stream().filter(o -> o.status() == 503 && o.startNanos() > downAt[0])
                .mapToLong(Outcome::millis).max().orElse(0);
        long slowestDuringDetection = pulled.stream().filter(o -> o.startNanos() <= downAt[0])
                .mapToLong(Outcome::millis).max().orElse(0);
        long[] ok = all.stream().filter(o -> o.status() == 200).mapToLong(Outcome::millis).sorted().toArray();
        String table = String.join("\n",
                "| Payara Micro, " + callers + " callers, 3 devices, maxConnectionsPerDevice 2, container pool max 16"
                        + (pulledAt[0] == 0 ? ", no cable pulled (no nft)" : ", plc-1's cable pulled "
                        + (upAgainAt[0] - pulledAt[0]) / 1_000_000 + " ms") + " | figure |",
                "|---|---|",
                "| requests | " + all.size() + " (" + Math.round(all.size() / seconds) + "/s) |",
                "| refused or failed for healthy devices | " + refused + " |",
                "| wrong answers (checked by content) | " + wrong + " |",
                "| p50 / p99 / max latency of the successful ones | " + ok[ok.length / 2] + " / "
                        + ok[(int) (ok.length * 0.99)] + " / " + ok[ok.length - 1] + " ms |",
                "| pulled device: fail-fast 503s; slowest once DOWN was known; slowest asked during detection | "
                        + failFast + "; " + slowestFailFast + " ms; " + slowestDuringDetection + " ms |",
                "| pulled device during the outage: other outcomes | " + pulled.stream().filter(o -> o.status() != 503)
                        .collect(java.util.stream.Collectors.groupingBy(Outcome::status,
                                java.util.TreeMap::new, java.util.stream.Collectors.counting())) + " |");
        System.out.println(table);
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "container-load-results.md"), table + "\n");

        assertThat(healthy.stream().filter(o -> o.status() != 200).map(o -> o.device() + " " + o.status() + " " + o.error() + " after "
                + o.millis() + " ms, started " + (o.startNanos() - started) / 1_000_000 + " ms into the run").toList())
                .as("requests refused or failed for healthy devices (cable pulled at %d ms, UP again at %d ms)",
                        (pulledAt[0] - started) / 1_000_000, (upAgainAt[0] - started) / 1_000_000).isEmpty();
        assertThat(wrong).as("answers that were not the request's own").isZero();
        if (pulledAt[0] != 0) {
            assertThat(failFast).as("fail-fast answers while plc-1 was down").isPositive();
            assertThat(slowestFailFast).isLessThan(1_000);
        }
        // nothing left over: the adapter's threads are the same set, no device holds more than its cap
        assertThat(call("GET", "api/diagnostics", null).object().getJsonArray("adapterThreads")).isEqualTo(threadsBefore);
        for (String id : ids) {
            assertThat(device(id).getInt("openConnections")).as(id).isBetween(1, 2);
        }
        assertThat(plc2.openConnections()).isLessThanOrEqualTo(2);
        assertThat(plc3.openConnections()).isLessThanOrEqualTo(2);
    }

    // ---- the sample as code people copy ----

    @Test
    @Order(5)
    void aStateChangingRequestWithoutThePagesHeaderIsRefusedAndChangesNothing() throws Exception {
        long framesBefore = plc1.framesReceived();
        // what any page on any site can make a browser send without asking (a "simple" request):
        // a form post, text/plain, or a JSON body without the header
        Reply form = call("POST", "api/demo/devices/plc-3/hang", "x=1", "application/x-www-form-urlencoded", Map.of());
        Reply text = call("POST", "api/devices/plc-1/request", "{\"text\":\"csrf\"}", "text/plain", Map.of());
        Reply plain = call("POST", "api/devices/plc-1/request", "{\"text\":\"csrf\"}", "application/json", Map.of());
        Reply empty = call("POST", "api/demo/devices/plc-3/restart", null, null, Map.of());
        for (Reply r : List.of(form, text, plain, empty)) {
            assertThat(r.status()).as(r.toString()).isEqualTo(403);
            assertThat(r.contentType()).startsWith("application/json");
            assertThat(r.object().getString("error")).contains("X-FieldLink-Request");
        }
        // nothing reached the devices or flipped a switch
        assertThat(plc3.behaviour()).isEqualTo(Behaviour.ECHO);
        assertThat(plc1.framesReceived()).isEqualTo(framesBefore);
        assertThat(call("POST", "api/devices/plc-1/request", "{\"text\":\"x\"}", "application/json",
                Map.of("X-FieldLink-Request", "0")).status()).as("the header's value is checked").isEqualTo(403);
        assertThat(call("PUT", "api/devices/plc-1/request", "{\"text\":\"x\"}", "application/json", Map.of()).status())
                .as("every method but GET, HEAD and OPTIONS is guarded").isEqualTo(403);
        assertThat(call("DELETE", "api/notices", null, null, Map.of()).status()).isEqualTo(403);
    }

    @Test
    @Order(6)
    void aRequestFromAnotherSiteIsRefusedEvenWithTheHeader() throws Exception {
        long framesBefore = plc1.framesReceived();
        for (String origin : List.of("http://evil.example", "null", "http://127.0.0.1:" + (announced.getPort() + 1),
                "http://127.0.0.1", "http://localhost:" + announced.getPort())) {
            Map<String, String> headers = Map.of("X-FieldLink-Request", "1", "Origin", origin);
            Reply demo = call("POST", "api/demo/devices/plc-3/hang", null, null, headers);
            Reply request = call("POST", "api/devices/plc-1/request", "{\"text\":\"csrf\"}", "application/json", headers);
            for (Reply r : List.of(demo, request)) {
                assertThat(r.status()).as(origin + ": " + r).isEqualTo(403);
                assertThat(r.object().getString("error")).contains("Origin");
            }
        }
        assertThat(plc3.behaviour()).isEqualTo(Behaviour.ECHO);
        assertThat(plc1.framesReceived()).isEqualTo(framesBefore);
        // DNS rebinding: a foreign name that resolves to 127.0.0.1 makes the attacker's page same-origin;
        // the demo switches answer only loopback names
        assertThat(rawPost("api/demo/devices/plc-3/hang", "evil.example:" + announced.getPort())).startsWith("HTTP/1.1 403");
        assertThat(plc3.behaviour()).isEqualTo(Behaviour.ECHO);
        // ... and neither does anything else: the raw request endpoint, and the reads (the device table)
        assertThat(rawRequest("POST", "api/devices/plc-1/request", "evil.example:" + announced.getPort(),
                "{\"text\":\"rebound\"}")).startsWith("HTTP/1.1 403");
        assertThat(rawRequest("GET", "api/devices", "evil.example:" + announced.getPort(), null))
                .startsWith("HTTP/1.1 403");
        assertThat(plc1.framesReceived()).isEqualTo(framesBefore);
    }

    @Test
    @Order(7)
    void thePagesOwnRequestsWork() throws Exception {
        String ownOrigin = "http://127.0.0.1:" + announced.getPort();
        Map<String, String> page = Map.of("X-FieldLink-Request", "1", "Origin", ownOrigin);
        Reply hang = call("POST", "api/demo/devices/plc-3/hang", null, null, page);
        try {
            assertThat(hang.status()).as(hang.toString()).isEqualTo(200);
            assertThat(plc3.behaviour()).isEqualTo(Behaviour.HANG);
        } finally {
            assertThat(call("POST", "api/demo/devices/plc-3/echo", null, null, MARKED).status()).isEqualTo(200);
        }
        assertThat(plc3.behaviour()).isEqualTo(Behaviour.ECHO);
        Reply r = call("POST", "api/devices/plc-3/request", "{\"text\":\"from the page\"}", "application/json", page);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.object().getString("text")).isEqualTo("from the page");
        // the page's reads need no header
        assertThat(call("GET", "api/demo/devices", null).status()).isEqualTo(200);
    }

    @Test
    @Order(8)
    void errorBodiesNameTheDeviceAskedForNotTheDeviceTable() throws Exception {
        Reply unknown = call("POST", "api/devices/plc-9/request", "{\"text\":\"x\"}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.object().getString("error")).contains("plc-9");
        assertNoDeviceTable(unknown);

        plc2.behave(Behaviour.HANG);
        try {
            Reply timeout = call("POST", "api/devices/plc-2/request", "{\"text\":\"hello?\",\"timeoutMs\":300}");
            assertThat(timeout.status()).isEqualTo(504);
            assertThat(timeout.object().getString("error")).contains("plc-2").contains("no answer within 300 ms");
            assertNoDeviceTable(timeout);
        } finally {
            plc2.behave(Behaviour.ECHO);
        }
        String hostile = "plc-9<img src=x onerror=alert(1)>";
        Reply odd = call("POST", "api/devices/" + java.net.URLEncoder.encode(hostile, StandardCharsets.UTF_8)
                .replace("+", "%20") + "/request", "{\"text\":\"x\"}");
        assertThat(odd.status()).isEqualTo(404);
        assertThat(odd.contentType()).startsWith("application/json");
        assertNoDeviceTable(odd);
    }

    /** No body names a device that was not asked about, nor any device's address. */
    private static void assertNoDeviceTable(Reply r) {
        String body = r.body().toString();
        assertThat(body).as("error body").doesNotContain("127.0.0.1").doesNotContain(String.valueOf(PORT1))
                .doesNotContain(String.valueOf(PORT2)).doesNotContain(String.valueOf(PORT3));
        long named = List.of("plc-1", "plc-2", "plc-3").stream().filter(body::contains).count();
        assertThat(named).as("devices named in " + body).isLessThanOrEqualTo(1);
    }

    @Test
    @Order(9)
    void thePageInsertsDataOnlyAsTextAndCannotBeFramed() throws Exception {
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(base()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        String html = page.body();
        // no inline handlers, no inline script: the page's code is a file the CSP allows, nothing else runs
        assertThat(html).doesNotContainPattern("(?i)\\son[a-z]+\\s*=").doesNotContainPattern("(?i)javascript:");
        Matcher scripts = Pattern.compile("(?is)<script([^>]*)>(.*?)</script>").matcher(html);
        List<String> sources = new ArrayList<>();
        while (scripts.find()) {
            assertThat(scripts.group(2).trim()).as("inline script").isEmpty();
            Matcher src = Pattern.compile("src=\"([^\"]+)\"").matcher(scripts.group(1));
            assertThat(src.find()).as("script without src").isTrue();
            sources.add(src.group(1));
        }
        assertThat(sources).isNotEmpty();
        for (String source : sources) {
            HttpResponse<String> js = HTTP.send(HttpRequest.newBuilder(base().resolve(source)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(js.statusCode()).as(source).isEqualTo(200);
            String code = js.body();
            // no HTML built from strings; no handlers from strings
            assertThat(code).as(source).doesNotContain("innerHTML").doesNotContain("outerHTML")
                    .doesNotContain("insertAdjacentHTML").doesNotContain("document.write").doesNotContain("eval(")
                    .doesNotContain("new Function").doesNotContainPattern("\\.on[a-z]+\\s*=[^=]")
                    .doesNotContainPattern("setAttribute\\(\\s*['\"]on");
            assertThat(code).as(source).contains("textContent").contains("addEventListener")
                    .contains("X-FieldLink-Request");
        }
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertThat(csp).contains("script-src 'self'").contains("frame-ancestors 'none'").contains("object-src 'none'");
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        HttpResponse<String> api = HTTP.send(HttpRequest.newBuilder(base().resolve("api/devices")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(api.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    @Test
    @Order(10)
    void aHostileNoticeIsServedBackAsInertJson() throws Exception {
        String marker = "hostile-" + System.nanoTime();
        JsonObject hostile = Json.createObjectBuilder()
                .add("event", "<img src=x onerror=alert(1)>")
                .add("deviceId", marker + "\"'><script>alert(2)</script>")
                .add("address", "</td></tr><tr><td onmouseover=alert(3)>")
                .add("cause", "'); alert(4); ('")
                .add("downtimeMs", "<b onclick=alert(5)>1</b>")
                .add("reconnectAttempts", "\" onfocus=\"alert(6)")
                .add("connectionsAffected", "<svg onload=alert(7)>")
                .add("timestamp", "javascript:alert(8)")
                .build();
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + BROKER_PORT);
        try (Connection c = factory.createConnection("guest", "guest");
             Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            MessageProducer p = s.createProducer(s.createTopic("fieldlink.notices"));
            p.send(s.createTextMessage(hostile.toString()));
            p.send(s.createTextMessage("<script>alert('not even JSON')</script>"));
        }
        JsonObject served = null;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (served == null && System.nanoTime() < deadline) {
            Reply notices = call("GET", "api/notices", null);
            assertThat(notices.contentType()).startsWith("application/json");
            served = notices.body().asJsonArray().stream().map(JsonValue::asJsonObject)
                    .filter(n -> n.getString("deviceId", "").startsWith(marker)).findFirst().orElse(null);
            Thread.sleep(100);
        }
        assertThat(served).as("the hostile notice, received by the MDB").isNotNull();
        assertThat(served).isEqualTo(hostile); // every field back as a JSON string, for the page's textContent
    }

    @Test
    @Order(11)
    void theServerListensOnLoopbackOnly() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/net")), "needs Linux /proc to list sockets");
        ProcessHandle payara = ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> String.join(" ", a)).orElse("")
                .contains(new File("target/it/payara-micro.jar").getAbsolutePath())
                && p.info().arguments().map(a -> List.of(a).contains("target/it/post-boot.asadmin")).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError("this test's Payara Micro process not found"));
        List<String> listening = LoopbackSockets.listening(payara.pid());
        assertThat(listening).as("sockets Payara Micro listens on").isNotEmpty();
        assertThat(listening).as("sockets Payara Micro listens on").allMatch(LoopbackSockets::isLoopback);
    }

    /** A request written by hand, for a Host header HttpClient will not send; returns the status line. */
    private String rawRequest(String method, String path, String host, String json) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", announced.getPort())) {
            socket.setSoTimeout(20_000);
            byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
            String request = method + " " + base().resolve(path).getRawPath() + " HTTP/1.1\r\nHost: " + host
                    + "\r\nX-FieldLink-Request: 1\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    /** A POST written by hand, for a Host header HttpClient will not send; returns the status line. */
    private String rawPost(String path, String host) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", announced.getPort())) {
            socket.setSoTimeout(20_000);
            String request = "POST " + base().resolve(path).getRawPath() + " HTTP/1.1\r\nHost: " + host
                    + "\r\nX-FieldLink-Request: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    private void awaitState(String id, String state, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!device(id).getString("state").equals(state)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + " not " + state + " within " + timeoutMs + " ms");
            }
            Thread.sleep(20);
        }
    }
}
