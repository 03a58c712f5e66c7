package io.fieldlink.servers;

import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.ModbusRegisters;
import io.fieldlink.simulator.Nftables;
import io.fieldlink.simulator.SimFraming;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What FieldLink promises on every server, checked against a real one: the unchanged rar deployed by
 * the server's own recipe (src/test/&lt;server&gt;/, the same recipes as docs/servers.md), a portable
 * application (fieldlink-check.war) with an MDB on the server's own JMS, and a pool over a table of
 * two simulated devices. Subclasses only start, stop and redeploy their server.
 *
 * <p>Times are measured and written to {@code target/servers-results.md} for the record; they are
 * asserted only where a bound is the product's promise (keepalive 1 s + 1 s x 2), with slack.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class PortableAdapterContract {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> measured = new ArrayList<>();
    DeviceSimulator plcA;
    DeviceSimulator plcB;
    /** A Modbus TCP gateway taking ONE connection, for the pool with correlation (pipelining). */
    DeviceSimulator gateway;
    ServerProcess server;

    /** e.g. "WildFly 39.0.1.Final" */
    abstract String serverName();

    abstract int portA();

    abstract int portB();

    abstract int portGateway();

    /** Starts the server with the rar, the pool, the JMS resources and the application. */
    abstract ServerProcess startServer() throws Exception;

    /** {@code http://127.0.0.1:PORT/check/api/} */
    abstract URI api();

    /** A line the server prints when a deployment failed (the test then stops waiting at once). */
    abstract List<String> failureMarkers();

    /** Log lines by which the server says it destroyed managed connections to reach another device. */
    List<String> churnMarkers() {
        return List.of();
    }

    /** The server's log file, where FieldLink's own log lines must appear. */
    abstract Path serverLog();

    /** Removes the resource adapter (and so its pool) from the running server. */
    abstract void undeployAdapter() throws Exception;

    /** Puts it back, unchanged. */
    abstract void redeployAdapter() throws Exception;

    @BeforeAll
    void boot() throws Exception {
        plcA = DeviceSimulator.start(SimFraming.line(), "127.0.0.1", portA(), 1);
        plcB = DeviceSimulator.start(SimFraming.line(), "127.0.0.1", portB(), 1);
        gateway = DeviceSimulator.start(SimFraming.modbusTcp(), "127.0.0.1", portGateway(), 1);
        gateway.respondWith(new ModbusRegisters()).clientLimit(1, DeviceSimulator.LimitAction.CLOSE);
        long t0 = System.nanoTime();
        server = startServer();
        // before any request: the application's start-up lookup opened the pool (its devices are watched)
        await("a connection to each device, opened before any request", 240_000,
                () -> plcA.openConnections() >= 1 && plcB.openConnections() >= 1);
        await("the check application answers on " + serverName(), 60_000, () -> status("devices") == 200);
        long ready = ms(t0);
        await("both devices UP", 30_000, () -> "UP".equals(state("plc-a")) && "UP".equals(state("plc-b")));
        measured.add("boot to application ready: " + ready + " ms");
    }

    @AfterAll
    void shutdown() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (plcA != null) {
                plcA.close();
            }
            if (plcB != null) {
                plcB.close();
            }
            if (gateway != null) {
                gateway.close();
            }
            Path results = Path.of("target", "servers-results.md");
            Files.writeString(results, "## " + serverName() + "\n" + String.join("\n", measured.stream()
                            .map(m -> "- " + m).toList()) + "\n\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    @Test
    @Order(1)
    void requestsAreAnsweredAndCallersBeyondTheCapWaitInsteadOfFailing() throws Exception {
        JsonObject one = request("plc-a", "hello a");
        assertThat(one.getInt("status")).isEqualTo(200);
        assertThat(one.getString("text")).isEqualTo("hello a");
        // 8 threads on two devices capped at 2 connections each: the server's pool must not use up
        // device slots with idle (parked, shared, matched-away) managed connections
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> workers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int worker = w;
                workers.add(pool.submit((Callable<List<String>>) () -> {
                    List<String> wrong = new ArrayList<>();
                    for (int i = 0; i < 40; i++) {
                        String id = (worker + i) % 2 == 0 ? "plc-a" : "plc-b";
                        String text = "worker " + worker + " request " + i + " to " + id;
                        JsonObject r = request(id, text);
                        if (r.getInt("status") != 200 || !r.getString("text").equals(text)) {
                            wrong.add(text + " -> " + r);
                        }
                    }
                    return wrong;
                }));
            }
            List<String> wrong = new ArrayList<>();
            for (Future<List<String>> f : workers) {
                wrong.addAll(f.get());
            }
            assertThat(wrong).as("requests not answered with their own answer").isEmpty();
        } finally {
            pool.shutdownNow();
        }
        assertThat(plcA.openConnections()).isBetween(1, 2);
        assertThat(plcB.openConnections()).isBetween(1, 2);
        String log = Files.readString(serverLog());
        assertThat(log).as("FieldLink logs into the server's log").contains("FieldLink resource adapter started");
        assertThat(server.output() + log).as("one slf4j provider").doesNotContain("multiple SLF4J");
        for (String churn : churnMarkers()) {
            assertThat(log).as("managed connections destroyed to reach another device").doesNotContain(churn);
        }
    }

    @Test
    @Order(2)
    void callersRequestsShareTheGatewaysOneConnectionThroughTheServersPool() throws Exception {
        // the gateway answers nothing until 8 requests wait on its one connection, then all of them,
        // newest first: only requests in flight together, each matched by its id, get answers
        // first one read alone: the gateway pool is open and its device UP before the batches
        await("a gateway read answered", 60_000, () -> read("gateway/registers/7").getInt("value", -1) == 7);
        gateway.answerInBatches(8);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long t0 = System.nanoTime();
        try {
            List<String> wrong = new ArrayList<>();
            for (int round = 0; round < 10; round++) {
                List<Future<JsonObject>> reads = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int address = round * 8 + t;
                    reads.add(pool.submit(() -> read("gateway/registers/" + address)));
                }
                for (int t = 0; t < 8; t++) {
                    int address = round * 8 + t;
                    JsonObject r = reads.get(t).get(120, java.util.concurrent.TimeUnit.SECONDS);
                    if (r.getInt("status") != 200 || r.getInt("value", -1) != address
                            || r.getInt("transactionId", -1) != address) {
                        wrong.add("register " + address + " -> " + r);
                    }
                }
            }
            assertThat(wrong).as("reads not answered with their own register").isEmpty();
        } finally {
            gateway.answerInBatches(0);
            pool.shutdownNow();
        }
        measured.add("80 gateway reads, 8 in flight on one connection: " + ms(t0) + " ms");
        assertThat(gateway.mostAwaitingAnswer()).as("requests in flight together on the gateway's connection")
                .isGreaterThanOrEqualTo(8);
        assertThat(gateway.connectionsAccepted()).as("one connection").isEqualTo(1);
    }

    @Test
    @Order(3)
    void aPulledCableIsNotifiedThroughTheServersJmsFailsFastHealsAndLeavesTheOtherDeviceAlone()
            throws Exception {
        String problem = Nftables.unavailableReason();
        if (problem != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("the cable-pull test must run in CI: " + problem);
            }
            org.junit.jupiter.api.Assumptions.abort("cable-pull skipped: " + problem);
        }
        assertThat(request("plc-a", "warm").getInt("status")).isEqualTo(200);
        int noticesBefore = notices().size();
        long acceptedByB = plcB.connectionsAccepted();
        Nftables cable = new Nftables("fl_srv_" + ProcessHandle.current().pid());
        long pulled = System.nanoTime();
        try {
            cable.pull(portA());
            await("DROPPED for plc-a through " + serverName() + "'s JMS", 10_000,
                    () -> hasNotice(noticesBefore, "DROPPED", "plc-a"));
            long dropped = ms(pulled);
            assertThat(state("plc-a")).isEqualTo("DOWN");
            assertThat(state("plc-b")).isEqualTo("UP");

            JsonObject failFast = request("plc-a", "during");
            assertThat(failFast.getInt("status")).isEqualTo(503);
            assertThat(failFast.getString("error")).contains("plc-a");
            long failFastMicros = failFast.getJsonNumber("micros").longValue();
            assertThat(failFastMicros).isLessThan(1_000_000);
            JsonObject other = request("plc-b", "other device");
            assertThat(other.getInt("status")).isEqualTo(200);
            assertThat(other.getString("text")).isEqualTo("other device");

            measured.add("pulled cable -> DROPPED received by the MDB: " + dropped + " ms (bound: keepalive 1 s + 1 s x 2)");
            measured.add("fail-fast while DOWN: " + String.format(Locale.ROOT, "%.1f", failFastMicros / 1000.0) + " ms");
        } finally {
            cable.plugBack();
        }
        long healed = System.nanoTime();
        await("RESTORED for plc-a", 15_000, () -> hasNotice(noticesBefore, "RESTORED", "plc-a"));
        measured.add("cable back -> RESTORED received by the MDB: " + ms(healed) + " ms");
        JsonObject back = request("plc-a", "after");
        assertThat(back.getInt("status")).isEqualTo(200);
        assertThat(back.getString("text")).isEqualTo("after");
        // one device's failure must not reach the other's connections (the server's purge and
        // matching policies work on managed connections, which hold no socket while idle)
        assertThat(plcB.connectionsAccepted()).as("connections plc-b accepted during plc-a's outage")
                .isEqualTo(acceptedByB);
        assertThat(device("plc-b").getInt("drops")).isZero();
    }

    @Test
    @Order(4)
    void anUndeployLeavesNoFieldLinkThreadAndARedeployWorks() throws Exception {
        assertThat(server.threadsNamed("fieldlink")).as("FieldLink threads while deployed").isNotEmpty();
        undeployAdapter();
        await("no FieldLink thread left after the undeploy", 60_000, () -> {
            try {
                return server.threadsNamed("fieldlink").isEmpty();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(Files.readString(serverLog())).as("every step of FieldLink's stop ran")
                .doesNotContain("FieldLink stop: closing the");
        await("the server's connections to the devices closed", 30_000, () -> {
            try {
                return LoopbackSockets.establishedTo(portA()) == 0 && LoopbackSockets.establishedTo(portB()) == 0;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        long t0 = System.nanoTime();
        redeployAdapter();
        await("a request answered after the redeploy", 120_000,
                () -> status("devices") == 200 && request("plc-b", "again").getInt("status") == 200);
        measured.add("rar redeploy -> first answered request: " + ms(t0) + " ms");
        assertThat(request("plc-a", "after redeploy").getString("text")).isEqualTo("after redeploy");
        assertThat(server.threadsNamed("fieldlink")).isNotEmpty();
    }

    // --- the application's REST API ---

    JsonObject request(String device, String text) {
        return exchange(HttpRequest.newBuilder(api().resolve("devices/" + device + "/request"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(text)).build());
    }

    /** Sends {@code request}; its JSON object body (or the text as "body") with the HTTP status added, -1 if unreachable. */
    private JsonObject exchange(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonObject body = r.body().startsWith("{") ? parse(r.body()).asJsonObject()
                    : Json.createObjectBuilder().add("body", r.body()).build();
            return Json.createObjectBuilder(body).add("status", r.statusCode()).build();
        } catch (IOException e) {
            return Json.createObjectBuilder().add("status", -1).add("error", e.toString()).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    int status(String path) {
        try {
            return http.send(HttpRequest.newBuilder(api().resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    JsonArray get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(api().resolve(path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET " + path + ": " + r.body()).isEqualTo(200);
        return parse(r.body()).asJsonArray();
    }

    /** GET of a JSON object, with its HTTP status added (any status). */
    JsonObject read(String path) {
        return exchange(HttpRequest.newBuilder(api().resolve(path)).timeout(Duration.ofSeconds(90)).build());
    }

    JsonObject device(String id) {
        try {
            return get("devices").stream().map(JsonValue::asJsonObject)
                    .filter(d -> d.getString("deviceId").equals(id)).findFirst().orElseThrow();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    String state(String id) {
        return status("devices") == 200 ? device(id).getString("state") : null;
    }

    List<JsonObject> notices() throws IOException, InterruptedException {
        return get("notices").stream().map(v -> parse(((jakarta.json.JsonString) v).getString()).asJsonObject())
                .toList();
    }

    boolean hasNotice(int skip, String event, String deviceId) {
        try {
            Predicate<JsonObject> wanted = n -> n.getString("event").equals(event)
                    && n.getString("deviceId").equals(deviceId);
            return notices().stream().skip(skip).anyMatch(wanted);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonValue parse(String json) {
        try (var reader = Json.createReader(new StringReader(json))) {
            return reader.readValue();
        }
    }

    void await(String what, long timeoutMs, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeoutMs + " ms: " + what + "\n--- server output (tail) ---\n"
                        + tail(server == null ? "" : server.output()));
            }
            String failed = server == null ? null
                    : failureMarkers().stream().filter(server.output()::contains).findFirst().orElse(null);
            if (failed != null) {
                throw new AssertionError(serverName() + " reported '" + failed + "' while waiting for: " + what
                        + "\n" + tail(server.output()));
            }
            if (server != null && !server.isAlive()) {
                throw new AssertionError(serverName() + " exited while waiting for: " + what + "\n" + tail(server.output()));
            }
            Thread.sleep(50);
        }
    }

    static String tail(String s) {
        return s.length() <= 6_000 ? s : s.substring(s.length() - 6_000);
    }

    static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
