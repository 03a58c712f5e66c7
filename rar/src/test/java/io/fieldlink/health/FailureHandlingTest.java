package io.fieldlink.health;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.simulator.Behaviour;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.spi.DeviceRequestInfo;
import io.fieldlink.testsupport.RecordingListener;
import io.fieldlink.testsupport.TestAdapter;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ManagedConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.fieldlink.testsupport.RecordingListener.dropped;
import static io.fieldlink.testsupport.RecordingListener.restored;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Failure handling with faults a device can cause by itself (switched off, reboot, reset, hang),
 * over real sockets. The silent faults (pulled cable) are in {@code CablePullIT}.
 */
class FailureHandlingTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final TestAdapter adapter = new TestAdapter();
    private final DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());

    @AfterEach
    void tearDown() {
        adapter.close();
        sim.close();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    @Test
    void deviceSwitchedOffDropsOnceFailsFastAndHealsWithTheSpareConnection() throws Exception {
        DeviceConnectionFactory f = adapter.factory("plc", sim, m -> { });
        try (DeviceConnection c1 = f.getConnection(); DeviceConnection c2 = f.getConnection()) {
            c1.request(ascii("1"), TIMEOUT);
            c2.request(ascii("2"), TIMEOUT);
        }
        assertThat(sim.openConnections()).isEqualTo(2);

        sim.stop();
        RecordingListener.Seen drop = adapter.events.await(dropped("plc"), 5_000);
        assertThat(drop).isNotNull();
        assertThat(drop.change().connectionsAffected()).isEqualTo(2);
        assertThat(drop.change().cause()).contains("closed by the device").contains("refused");
        assertThat(drop.change().initial()).isFalse();

        long[] nanos = new long[200];
        for (int i = 0; i < nanos.length; i++) {
            long t = System.nanoTime();
            assertThatThrownBy(f::getConnection).isInstanceOf(DeviceDownException.class)
                    .hasMessageContaining("device plc (127.0.0.1:" + sim.port() + ")").hasMessageContaining("down since");
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        assertThat(Duration.ofNanos(nanos[nanos.length - 1])).isLessThan(Duration.ofMillis(50));
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.DOWN);

        long acceptedBefore = sim.connectionsAccepted();
        sim.startAgain();
        RecordingListener.Seen restore = adapter.events.await(restored("plc"), 5_000);
        assertThat(restore).isNotNull();
        assertThat(restore.change().downtimeMs()).isPositive();
        assertThat(restore.change().reconnectAttempts()).isPositive();
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(ascii("back"), TIMEOUT)).isEqualTo(ascii("back"));
        }
        // the reconnect's connection served the request: no connect of its own
        assertThat(sim.connectionsAccepted()).isEqualTo(acceptedBefore + 1);
        assertThat(adapter.events.edges()).extracting(DeviceStateChange::kind)
                .containsExactly(DeviceStateChange.Kind.DROPPED, DeviceStateChange.Kind.RESTORED);
    }

    @Test
    void aFlappingDeviceGivesExactlyOneEdgePerChangeInOrder() throws Exception {
        DeviceConnectionFactory f = adapter.factory("flappy", sim, m -> { });
        for (int i = 0; i < 5; i++) {
            try (DeviceConnection c = f.getConnection()) {
                c.request(ascii("x"), TIMEOUT);
            }
            sim.stop();
            int n = i + 1;
            assertThat(adapter.events.await(c -> adapter.events.changes().stream()
                    .filter(dropped("flappy")).count() == n, 5_000)).isNotNull();
            sim.startAgain();
            assertThat(adapter.events.await(c -> adapter.events.changes().stream()
                    .filter(restored("flappy")).count() == n, 5_000)).isNotNull();
        }
        List<DeviceStateChange> changes = adapter.events.edges();
        assertThat(changes).hasSize(10);
        for (int i = 0; i < changes.size(); i++) {
            assertThat(changes.get(i).kind()).isEqualTo(i % 2 == 0 ? DeviceStateChange.Kind.DROPPED
                    : DeviceStateChange.Kind.RESTORED);
            if (i > 0) {
                assertThat(changes.get(i).sequence()).isGreaterThan(changes.get(i - 1).sequence());
            }
        }
        assertThat(f.devices().get(0).drops()).isEqualTo(5);
    }

    @Test
    void requestTimeoutDiscardsTheConnectionButAHealthyDeviceStaysUp() throws Exception {
        DeviceConnectionFactory f = adapter.factory("slow", sim, m -> { });
        sim.behave(Behaviour.HANG);
        try (DeviceConnection c = f.getConnection()) {
            long t = System.nanoTime();
            assertThatThrownBy(() -> c.request(ascii("?"), Duration.ofMillis(300)))
                    .isInstanceOf(DeviceTimeoutException.class).hasMessageContaining("no answer within 300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - t)).isBetween(Duration.ofMillis(290), Duration.ofMillis(1_000));
            assertThatThrownBy(() -> c.request(ascii("?"), TIMEOUT)).hasMessageContaining("connection lost");
        }
        sim.behave(Behaviour.ECHO);
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(ascii("ok"), TIMEOUT)).isEqualTo(ascii("ok"));
        }
        assertThat(adapter.events.edges()).isEmpty();
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.UP);
    }

    @Test
    void aDelayedAnswerWithinTheTimeoutIsFine() throws Exception {
        DeviceConnectionFactory f = adapter.factory("delayed", sim, m -> { });
        sim.behave(Behaviour.DELAY).delayMs(200);
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(ascii("slow"), Duration.ofSeconds(1))).isEqualTo(ascii("slow"));
        }
    }

    @Test
    void aResetConnectionIsCheckedWithAProbeAndADeviceThatAnswersStaysUp() throws Exception {
        DeviceConnectionFactory f = adapter.factory("resetter", sim, m -> { });
        try (DeviceConnection c = f.getConnection()) {
            c.request(ascii("x"), TIMEOUT);
        }
        sim.resetAll();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (sim.connectionsAccepted() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sim.connectionsAccepted()).as("probe connection").isEqualTo(2);
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(ascii("y"), TIMEOUT)).isEqualTo(ascii("y"));
        }
        assertThat(sim.connectionsAccepted()).as("the probe became the pool's connection").isEqualTo(2);
        assertThat(adapter.events.edges()).isEmpty();
    }

    @Test
    void aDeviceThatDropsEveryNewConnectionGoesDownInsteadOfBeingProbedForever() throws Exception {
        DeviceConnectionFactory f = adapter.factory("full", sim, m -> { });
        try (DeviceConnection c = f.getConnection()) {
            c.request(ascii("x"), TIMEOUT);
        }
        sim.behave(Behaviour.DROP_NEW);
        sim.closeAll();
        RecordingListener.Seen drop = adapter.events.await(dropped("full"), 5_000);
        assertThat(drop).as("DOWN after the replacement connection was dropped at once").isNotNull();
        assertThat(drop.change().cause()).contains("lost it within " + DeviceHealth.SETTLE_MS + " ms");
        sim.behave(Behaviour.ECHO);
        assertThat(adapter.events.await(restored("full"), 5_000)).isNotNull();
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(ascii("back"), TIMEOUT)).isEqualTo(ascii("back"));
        }
    }

    @Test
    void aBrokenBorrowedConnectionFiresConnectionErrorOccurredOnceFromTheHealthThread() throws Exception {
        DeviceManagedConnectionFactory mcf = adapter.mcf("watched", sim, m -> { });
        adapter.factory(mcf);
        ManagedConnection mc = mcf.createManagedConnection(null, new DeviceRequestInfo("watched"));
        DeviceConnection handle = (DeviceConnection) mc.getConnection(null, new DeviceRequestInfo("watched"));
        handle.request(ascii("borrow"), TIMEOUT); // the managed connection now holds one of the device's links
        List<String> events = new CopyOnWriteArrayList<>();
        mc.addConnectionEventListener(new ConnectionEventListener() {
            @Override
            public void connectionClosed(ConnectionEvent e) {
                events.add("closed");
            }

            @Override
            public void connectionErrorOccurred(ConnectionEvent e) {
                events.add("error on " + Thread.currentThread().getName() + ": " + e.getException().getMessage());
            }

            @Override
            public void localTransactionStarted(ConnectionEvent e) {
            }

            @Override
            public void localTransactionCommitted(ConnectionEvent e) {
            }

            @Override
            public void localTransactionRolledback(ConnectionEvent e) {
            }
        });
        sim.stop();
        assertThat(adapter.events.await(dropped("watched"), 5_000)).isNotNull();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (events.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(100);
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).startsWith("error on fieldlink-health: device watched");
        assertThat(mcf.getInvalidConnections(java.util.Set.of(mc))).containsExactly(mc);
        mc.destroy();
    }

    @Test
    void heartbeatCatchesADeviceThatHangsWhileItsKernelStillAcks() throws Exception {
        DeviceConnectionFactory f = adapter.factory("hb", sim, m -> {
            m.setHeartbeatIntervalMs(200);
            m.setHeartbeatRequest("50494e47"); // PING
            m.setHeartbeatTimeoutMs(300);
        });
        try (DeviceConnection c = f.getConnection()) {
            c.request(ascii("x"), TIMEOUT);
        }
        Thread.sleep(600); // several heartbeats answered: still UP
        assertThat(adapter.events.edges()).isEmpty();
        assertThat(sim.framesReceived()).isGreaterThan(1);

        sim.behave(Behaviour.HANG);
        long t = System.nanoTime();
        RecordingListener.Seen drop = adapter.events.await(dropped("hb"), 3_000);
        assertThat(drop).isNotNull();
        assertThat(drop.change().cause()).contains("heartbeat");
        assertThat(Duration.ofNanos(drop.atNanos() - t)).isLessThan(Duration.ofMillis(200 + 300 + 500));

        sim.behave(Behaviour.ECHO);
        assertThat(adapter.events.await(restored("hb"), 3_000)).isNotNull();
    }

    @Test
    void withAHeartbeatADeviceClosingIdleConnectionsSoonerThanTheHeartbeatStaysUp() throws Exception {
        // links settle on the heartbeat sent at connect, not on one after heartbeatIntervalMs of idle
        DeviceConnectionFactory f = adapter.factory("hb-idle", sim, m -> {
            m.setHeartbeatIntervalMs(2_000);
            m.setHeartbeatRequest("50494e47"); // PING
            m.setHeartbeatTimeoutMs(500);
        });
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.UP);
        sim.idleCloseMs(400);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sim.idleCloses() < 4 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sim.idleCloses()).isGreaterThanOrEqualTo(4);
        assertThat(adapter.events.edges()).isEmpty();
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(ascii("still here"), TIMEOUT)).isEqualTo(ascii("still here"));
        }
    }

    @Test
    void aPoolConfiguredToWaitWaitsForTheDeviceInsteadOfFailing() throws Exception {
        DeviceConnectionFactory f = adapter.factory("patient", sim, m -> m.setWaitWhileDownMs(5_000));
        try (DeviceConnection c = f.getConnection()) {
            c.request(ascii("x"), TIMEOUT);
        }
        sim.stop();
        assertThat(adapter.events.await(dropped("patient"), 5_000)).isNotNull();
        CompletableFuture<byte[]> later = CompletableFuture.supplyAsync(() -> {
            try (DeviceConnection c = f.getConnection()) {
                return c.request(ascii("waited"), TIMEOUT);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        assertThat(later).isNotDone();
        sim.startAgain();
        assertThat(later.get(5, TimeUnit.SECONDS)).isEqualTo(ascii("waited"));
    }

    @Test
    void connectionsToOtherDevicesAreUntouchedByADrop() throws Exception {
        try (DeviceSimulator other = DeviceSimulator.start(SimFraming.line())) {
            DeviceConnectionFactory down = adapter.factory("going", sim, m -> { });
            DeviceConnectionFactory up = adapter.factory("staying", other, m -> { });
            List<DeviceConnection> open = new ArrayList<>();
            open.add(down.getConnection());
            DeviceConnection stay = up.getConnection();
            sim.stop();
            assertThat(adapter.events.await(dropped("going"), 5_000)).isNotNull();
            assertThat(stay.request(ascii("still here"), TIMEOUT)).isEqualTo(ascii("still here"));
            stay.close();
            open.forEach(DeviceConnection::close);
            assertThat(other.connectionsAccepted()).isEqualTo(1);
            assertThat(adapter.events.edges()).allMatch(c -> c.deviceId().equals("going"));
        }
    }
}
