package io.fieldlink.fault;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.testsupport.CablePuller;
import io.fieldlink.testsupport.RecordingListener;
import io.fieldlink.testsupport.TestAdapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static io.fieldlink.testsupport.RecordingListener.dropped;
import static io.fieldlink.testsupport.RecordingListener.restored;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pulls the cable for real: an nftables rule silently drops every packet of a simulated device's
 * loopback port, so no FIN and no RST ever arrive, exactly like a cut cable or a dead router. Each
 * test measures how long detection took against the bound the configuration promises, and writes
 * the numbers to {@code target/cable-pull-results.md}. A control device on another port is used
 * all along and must never notice anything.
 *
 * <p>Needs root and nftables; skipped with a message otherwise, but never skipped in CI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CablePullIT {

    private static final Logger log = LoggerFactory.getLogger(CablePullIT.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final List<String> results = new ArrayList<>();

    private static CablePuller cable;
    private static TestAdapter adapter;
    private static DeviceSimulator control;
    private static DeviceConnectionFactory controlPool;
    private static Thread controlUser;
    private static final AtomicBoolean controlRunning = new AtomicBoolean(true);
    private static final AtomicLong controlRequests = new AtomicLong();
    private static final List<String> controlErrors = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        cable = CablePuller.forTest("cablepull");
        adapter = new TestAdapter();
        control = DeviceSimulator.start(SimFraming.line());
        controlPool = adapter.factory("control", control, keepalive(1, 1, 2));
        controlUser = new Thread(() -> {
            while (controlRunning.get()) {
                try (DeviceConnection c = controlPool.getConnection()) {
                    c.request("ping".getBytes(US_ASCII), TIMEOUT);
                    controlRequests.incrementAndGet();
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    synchronized (controlErrors) {
                        controlErrors.add(e.toString());
                    }
                }
            }
        }, "control-device-user");
        controlUser.start();
        results.add("| case | configured bound | measured |");
        results.add("|---|---|---|");
    }

    @AfterAll
    static void stop() throws Exception {
        controlRunning.set(false);
        if (controlUser != null) {
            controlUser.interrupt();
            controlUser.join(5_000);
        }
        if (adapter != null) {
            adapter.close();
        }
        if (control != null) {
            control.close();
        }
        if (cable != null) {
            cable.close();
        }
        Path out = Path.of("target", "cable-pull-results.md");
        try {
            Files.write(out, results);
        } catch (IOException e) {
            log.warn("could not write {}", out, e);
        }
        results.forEach(r -> log.info("{}", r));
    }

    private static Consumer<DeviceManagedConnectionFactory> keepalive(int idle, int interval, int count) {
        return m -> {
            m.setKeepAliveIdleSeconds(idle);
            m.setKeepAliveIntervalSeconds(interval);
            m.setKeepAliveCount(count);
            m.setUserTimeoutMs(0); // auto: the keepalive bound
            m.setConnectTimeoutMs(1_000);
            m.setRequestTimeoutMs(1_000);
            m.setReconnectInitialDelayMs(200);
            m.setReconnectMaxDelayMs(1_000);
        };
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static void warm(DeviceConnectionFactory f) throws Exception {
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request("warm".getBytes(US_ASCII), TIMEOUT)).isEqualTo("warm".getBytes(US_ASCII));
        }
    }

    @Test
    @Order(1)
    void idlePooledConnectionIsDetectedWithinTheKeepaliveBound() throws Exception {
        // (a) keepalive 1 s idle, 1 s interval, 2 probes: bound 1 + 1 x 2 + 1 s of slack = 4 s
        long boundMs = 1_000 + 1_000 * 2 + 1_000;
        long[] detected = new long[5];
        for (int round = 0; round < detected.length; round++) {
            String id = "idle-" + round;
            try (DeviceSimulator sim = DeviceSimulator.start(SimFraming.line())) {
                DeviceConnectionFactory f = adapter.factory(id, sim, keepalive(1, 1, 2));
                warm(f);
                Thread.sleep(1_500); // idle in the pool, keepalive probes answered
                assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.UP);
                long pulledAt = System.nanoTime();
                cable.pull(sim.port());
                RecordingListener.Seen drop = adapter.events.await(dropped(id), boundMs + 2_000);
                cable.plugBack();
                assertThat(drop).as("DROPPED for " + id).isNotNull();
                detected[round] = ms(drop.atNanos() - pulledAt);
                assertThat(drop.change().cause()).contains("timed out");
                assertThat(drop.change().connectionsAffected()).isEqualTo(1);
                assertThat(adapter.events.await(restored(id), 5_000)).isNotNull();
            }
        }
        Arrays.sort(detected);
        results.add("| (a) idle pooled connection, keepalive 1/1/2, to DROPPED | " + boundMs + " ms | median "
                + detected[detected.length / 2] + " ms, max " + detected[detected.length - 1] + " ms over "
                + detected.length + " pulls " + Arrays.toString(detected) + " |");
        assertThat(detected[detected.length - 1]).isLessThanOrEqualTo(boundMs);
    }

    @Test
    @Order(2)
    void aConnectionInUseFailsItsRequestWithinTheRequestTimeout() throws Exception {
        // (b) requestTimeoutMs 1000 (and keepalive far away: 30 s) on a connection held by the application
        try (DeviceSimulator sim = DeviceSimulator.start(SimFraming.line())) {
            DeviceConnectionFactory f = adapter.factory("in-use", sim, keepalive(30, 5, 3));
            try (DeviceConnection c = f.getConnection()) {
                c.request("before".getBytes(US_ASCII), TIMEOUT);
                cable.pull(sim.port());
                long t = System.nanoTime();
                assertThatThrownBy(() -> c.request("during".getBytes(US_ASCII), Duration.ofMillis(1_000)))
                        .isInstanceOf(DeviceTimeoutException.class)
                        .hasMessageContaining("device in-use (127.0.0.1:" + sim.port() + ")")
                        .hasMessageContaining("no answer within 1000 ms");
                long failedMs = ms(System.nanoTime() - t);
                RecordingListener.Seen drop = adapter.events.await(dropped("in-use"), 5_000);
                assertThat(drop).isNotNull();
                long downMs = ms(drop.atNanos() - t);
                cable.plugBack();
                results.add("| (b) request on a held connection fails | 1000 ms (requestTimeoutMs) | " + failedMs
                        + " ms, DeviceTimeoutException |");
                results.add("| (b) ... device DOWN after the probe connect | 1000 + 1000 ms (request + connect timeout) | "
                        + downMs + " ms |");
                assertThat(failedMs).isBetween(990L, 1_500L);
                assertThat(downMs).isLessThanOrEqualTo(2_000 + 1_000);
            }
            assertThat(adapter.events.await(restored("in-use"), 5_000)).isNotNull();
        }
    }

    @Test
    @Order(3)
    void aStuckWriterIsDetectedWithinTheUserTimeout() throws Exception {
        // (c) data sent into a pulled cable is never ACKed: keepalive cannot fire (it is 30 s away
        // anyway); TCP_USER_TIMEOUT 2000 ms makes the kernel give up. requestTimeoutMs is 10 s so
        // that the user timeout, not the application deadline, is what is measured.
        try (DeviceSimulator sim = DeviceSimulator.start(SimFraming.line())) {
            DeviceConnectionFactory f = adapter.factory("writer", sim, keepalive(30, 5, 3).andThen(m -> {
                m.setUserTimeoutMs(2_000);
                m.setRequestTimeoutMs(10_000);
            }));
            try (DeviceConnection c = f.getConnection()) {
                c.request("before".getBytes(US_ASCII), TIMEOUT);
                cable.pull(sim.port());
                long t = System.nanoTime();
                c.send(new byte[8_192]);
                assertThatThrownBy(() -> c.receive(Duration.ofSeconds(10))).isInstanceOf(ConnectionLostException.class)
                        .hasMessageContaining("timed out");
                long lostMs = ms(System.nanoTime() - t);
                RecordingListener.Seen drop = adapter.events.await(dropped("writer"), 5_000);
                assertThat(drop).isNotNull();
                long downMs = ms(drop.atNanos() - t);
                cable.plugBack();
                results.add("| (c) stuck writer (unACKed data), userTimeoutMs 2000 | 2000 ms (+ retransmission tick) | "
                        + "connection lost at " + lostMs + " ms, DROPPED at " + downMs + " ms |");
                assertThat(lostMs).isBetween(1_900L, 2_000L + 1_500L);
                assertThat(downMs).isLessThanOrEqualTo(2_000L + 1_500L);
            }
            assertThat(adapter.events.await(restored("writer"), 5_000)).isNotNull();
        }
    }

    @Test
    @Order(4)
    void whileDownGetConnectionFailsFastAndAfterTheHealTheDeviceIsUpWithinTheBackoffBound() throws Exception {
        // (d) and (e)
        try (DeviceSimulator sim = DeviceSimulator.start(SimFraming.line())) {
            DeviceConnectionFactory f = adapter.factory("heal", sim, keepalive(1, 1, 2));
            warm(f);
            cable.pull(sim.port());
            assertThat(adapter.events.await(dropped("heal"), 6_000)).isNotNull();
            Thread.sleep(2_500); // let the backoff climb to its ceiling while the cable is out

            long[] failNanos = new long[100];
            for (int i = 0; i < failNanos.length; i++) {
                long t = System.nanoTime();
                assertThatThrownBy(f::getConnection).isInstanceOf(DeviceDownException.class)
                        .hasMessageContaining("down since");
                failNanos[i] = System.nanoTime() - t;
            }
            Arrays.sort(failNanos);
            results.add("| (d) getConnection while DOWN | 50 ms | median " + failNanos[50] / 1_000 + " us, max "
                    + failNanos[99] / 1_000 + " us over 100 calls |");
            assertThat(ms(failNanos[99])).isLessThan(50);

            long healedAt = System.nanoTime();
            cable.plugBack();
            RecordingListener.Seen up = adapter.events.await(restored("heal"), 10_000);
            assertThat(up).isNotNull();
            long upMs = ms(up.atNanos() - healedAt);
            long requestMs;
            long t = System.nanoTime();
            try (DeviceConnection c = f.getConnection()) {
                assertThat(c.request("again".getBytes(US_ASCII), TIMEOUT)).isEqualTo("again".getBytes(US_ASCII));
            }
            requestMs = ms(System.nanoTime() - t);
            // an attempt in flight at the heal can still time out (1000 ms), then the next waits <= 1000 ms,
            // and its connection must stay up for the settle time before the device counts as UP
            long boundMs = 1_000 + 1_000 + io.fieldlink.health.DeviceHealth.SETTLE_MS;
            results.add("| (e) UP after the cable is back | " + boundMs + " ms (connectTimeoutMs + reconnectMaxDelayMs "
                    + "+ settle time) | "
                    + upMs + " ms after " + up.change().reconnectAttempts() + " attempts; first request then took "
                    + requestMs + " ms |");
            assertThat(upMs).isLessThanOrEqualTo(boundMs + 500);
        }
    }

    @Test
    @Order(5)
    void otherDevicesWereUntouchedThroughout() {
        // (f)
        controlRunning.set(false);
        assertThat(controlRequests.get()).isGreaterThan(20);
        synchronized (controlErrors) {
            assertThat(controlErrors).isEmpty();
        }
        assertThat(adapter.events.edges()).noneMatch(c -> c.deviceId().equals("control"));
        assertThat(control.connectionsAccepted()).isEqualTo(1);
        results.add("| (f) control device on another port | no error, no notice | " + controlRequests.get()
                + " requests, 0 errors, 0 notices, 1 connection |");
    }
}
