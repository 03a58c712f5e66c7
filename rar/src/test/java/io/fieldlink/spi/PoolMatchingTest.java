package io.fieldlink.spi;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.testsupport.TestAdapter;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ManagedConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A pool over a table of devices: the right device per request, and never more than the cap. */
class PoolMatchingTest {

    private final TestAdapter adapter = new TestAdapter();
    private final DeviceSimulator a = DeviceSimulator.start(SimFraming.line()).respondWith(r -> "A".getBytes(US_ASCII));
    private final DeviceSimulator b = DeviceSimulator.start(SimFraming.line()).respondWith(r -> "B".getBytes(US_ASCII));

    @AfterEach
    void tearDown() {
        adapter.close();
        a.close();
        b.close();
    }

    private DeviceManagedConnectionFactory table(int cap) {
        DeviceManagedConnectionFactory mcf = adapter.mcf("unused", a, m -> { });
        mcf.setHost("");
        mcf.setPort(0);
        mcf.setDeviceId("");
        mcf.setDevices("a=127.0.0.1:" + a.port() + ",b=127.0.0.1:" + b.port());
        mcf.setMaxConnectionsPerDevice(cap);
        mcf.setConnectTimeoutMs(300);
        mcf.setMaxWaitMs(300);
        return mcf;
    }

    private static String ask(DeviceConnection c) throws DeviceException {
        return new String(c.request("?".getBytes(US_ASCII), Duration.ofSeconds(2)), US_ASCII);
    }

    @Test
    void eachRequestReachesTheDeviceItNames() throws Exception {
        DeviceConnectionFactoryImpl f = adapter.factory(table(2));
        for (int i = 0; i < 5; i++) {
            try (DeviceConnection ca = f.getConnection("a"); DeviceConnection cb = f.getConnection("b")) {
                assertThat(ask(ca)).isEqualTo("A");
                assertThat(ask(cb)).isEqualTo("B");
            }
        }
        try (DeviceConnection first = f.getConnection()) {
            assertThat(first.deviceId()).isEqualTo("a");
        }
        // connections were reused, not reopened
        assertThat(a.connectionsAccepted()).isEqualTo(1);
        assertThat(b.connectionsAccepted()).isEqualTo(1);
        assertThat(f.devices()).extracting(s -> s.deviceId() + ":" + s.openConnections()).containsExactly("a:1", "b:1");
    }

    @Test
    void unknownDevicesAreRefusedWithoutOpeningASocket() {
        DeviceConnectionFactoryImpl f = adapter.factory(table(2));
        assertThatThrownBy(() -> f.getConnection("10.0.0.1:502")).isInstanceOf(DeviceException.class)
                .hasMessageContaining("not a device of pool").hasMessageContaining("[a, b]");
    }

    /**
     * IronJacamar keeps one pool per connection definition and destroys every idle managed
     * connection that matching rejects (IJ000612 on each request that alternates devices): an idle
     * one, which holds no socket, must serve whichever device of its pool is asked for.
     */
    @Test
    void anIdleManagedConnectionServesAnyDeviceOfItsPoolAndABusyOneOnlyItsOwn() throws Exception {
        DeviceManagedConnectionFactory mcf = table(2);
        adapter.factory(mcf);
        ManagedConnection ma = mcf.createManagedConnection(null, new DeviceRequestInfo("a"));
        try {
            assertThat(mcf.matchManagedConnections(Set.of(ma), null, new DeviceRequestInfo("b"))).isSameAs(ma);
            DeviceConnection onB = (DeviceConnection) ma.getConnection(null, new DeviceRequestInfo("b"));
            assertThat(onB.deviceId()).isEqualTo("b");
            assertThat(ask(onB)).isEqualTo("B");
            // busy for b (a handle, a borrowed link): it serves b only
            assertThat(mcf.matchManagedConnections(Set.of(ma), null, new DeviceRequestInfo("a"))).isNull();
            assertThatThrownBy(() -> ma.getConnection(null, new DeviceRequestInfo("a")))
                    .isInstanceOf(ResourceException.class).hasMessageContaining("in use for device b");
            onB.close();
            assertThat(mcf.matchManagedConnections(Set.of(ma), null, new DeviceRequestInfo("a"))).isSameAs(ma);
            DeviceConnection onA = (DeviceConnection) ma.getConnection(null, new DeviceRequestInfo("a"));
            assertThat(ask(onA)).isEqualTo("A");
            onA.close();
        } finally {
            ma.destroy();
        }
    }

    /**
     * A container that disconnects a handle (IronJacamar's cached connection manager) and later
     * re-associates it with another managed connection, which may have served another device
     * meanwhile: the handle keeps talking to the device it was obtained for.
     */
    @Test
    void aReassociatedHandleKeepsItsOwnDevice() throws Exception {
        DeviceManagedConnectionFactory mcf = table(2);
        adapter.factory(mcf);
        ManagedConnection m1 = mcf.createManagedConnection(null, new DeviceRequestInfo("a"));
        ManagedConnection m2 = mcf.createManagedConnection(null, new DeviceRequestInfo("b"));
        try {
            DeviceConnection h = (DeviceConnection) m1.getConnection(null, new DeviceRequestInfo("a"));
            assertThat(ask(h)).isEqualTo("A");
            m1.cleanup(); // disconnected; m1 goes back to the pool and serves b next
            DeviceConnection onB = (DeviceConnection) m1.getConnection(null, new DeviceRequestInfo("b"));
            assertThat(ask(onB)).isEqualTo("B");
            onB.close();
            m2.associateConnection(h); // m2 last served b; h was obtained for a
            assertThat(h.deviceId()).isEqualTo("a");
            assertThat(ask(h)).isEqualTo("A");
            h.close();
        } finally {
            m1.destroy();
            m2.destroy();
        }
    }

    /**
     * A handle whose connection the container took back and lent for another device, used in the
     * gap between its own checks and the exchange: the exchange refuses, it never borrows a link
     * of the other device.
     */
    @Test
    void anExchangeOnAHandleTheConnectionNoLongerCarriesIsRefused() throws Exception {
        DeviceManagedConnectionFactory mcf = table(2);
        adapter.factory(mcf);
        DeviceManagedConnection m1 = (DeviceManagedConnection) mcf.createManagedConnection(null,
                new DeviceRequestInfo("a"));
        try {
            DeviceConnectionHandle onA = (DeviceConnectionHandle) m1.getConnection(null, new DeviceRequestInfo("a"));
            m1.cleanup(); // taken back ...
            DeviceConnection onB = (DeviceConnection) m1.getConnection(null, new DeviceRequestInfo("b")); // ... lent for b
            long framesOnB = b.framesReceived();
            assertThatThrownBy(() -> m1.enter(onA)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cleaned up this connection to a");
            assertThat(ask(onB)).isEqualTo("B"); // the connection itself is fine for its new handle
            assertThat(b.framesReceived()).isEqualTo(framesOnB + 1);
            onB.close();
        } finally {
            m1.destroy();
        }
    }

    /**
     * The container cleans a connection up while its caller still waits for one of the device's
     * links: until that exchange has ended the connection is not idle, so it cannot be moved to
     * another device (the waiting caller would otherwise adopt a link of one device while the
     * connection serves another).
     */
    @Test
    void aConnectionCleanedUpWhileItsCallerWaitsIsNotMovedToAnotherDevice() throws Exception {
        DeviceManagedConnectionFactory mcf = table(1);
        mcf.setMaxWaitMs(5_000);
        DeviceConnectionFactoryImpl f = adapter.factory(mcf);
        DeviceConnection held = f.getConnection("a");
        assertThat(ask(held)).isEqualTo("A"); // a's only link is in use
        ManagedConnection m1 = mcf.createManagedConnection(null, new DeviceRequestInfo("a"));
        DeviceConnection h1 = (DeviceConnection) m1.getConnection(null, new DeviceRequestInfo("a"));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(h1.request("for a".getBytes(US_ASCII), Duration.ofSeconds(2)), US_ASCII);
            } catch (DeviceException | IllegalStateException e) {
                return e.getClass().getSimpleName();
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (f.devices().get(0).callersWaiting() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(f.devices().get(0).callersWaiting()).isEqualTo(1);
        try {
            m1.cleanup(); // the container takes it back while its caller waits
            assertThat(mcf.matchManagedConnections(Set.of(m1), null, new DeviceRequestInfo("b"))).isNull();
            assertThatThrownBy(() -> m1.getConnection(null, new DeviceRequestInfo("b")))
                    .isInstanceOf(ResourceException.class).hasMessageContaining("in use for device a");
            held.close();
            waiting.get(5, TimeUnit.SECONDS);
            assertThat(b.framesReceived()).as("frames that reached b").isZero();
            // once that exchange is over, the connection is idle and may serve b
            assertThat(mcf.matchManagedConnections(Set.of(m1), null, new DeviceRequestInfo("b"))).isSameAs(m1);
        } finally {
            m1.destroy();
        }
    }

    @Test
    void matchManagedConnectionsPicksTheRequestedDeviceAndNeverFires() throws Exception {
        DeviceManagedConnectionFactory mcf = table(2);
        adapter.factory(mcf);
        ManagedConnection ma = mcf.createManagedConnection(null, new DeviceRequestInfo("a"));
        ManagedConnection mb = mcf.createManagedConnection(null, new DeviceRequestInfo("b"));
        try {
            assertThat(mcf.matchManagedConnections(Set.of(ma, mb), null, new DeviceRequestInfo("b"))).isSameAs(mb);
            assertThat(mcf.matchManagedConnections(Set.of(ma, mb), null, null)).isSameAs(ma);
            assertThat(mcf.getInvalidConnections(Set.of(ma, mb))).isEmpty();
            DeviceConnection onB = (DeviceConnection) mb.getConnection(null, new DeviceRequestInfo("b"));
            assertThat(ask(onB)).isEqualTo("B"); // mb now holds one of b's links
            b.stop(); // b switched off: the link mb holds is closed and b goes DOWN
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (mcf.getInvalidConnections(Set.of(ma, mb)).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(mcf.getInvalidConnections(Set.of(ma, mb))).containsExactly(mb);
            // never the broken one; the idle one may serve b (its caller then fails fast: b is DOWN)
            assertThat(mcf.matchManagedConnections(Set.of(ma, mb), null, new DeviceRequestInfo("b"))).isSameAs(ma);
            assertThat(mcf.matchManagedConnections(Set.of(mb), null, new DeviceRequestInfo("b"))).isNull();
        } finally {
            ma.destroy();
            mb.destroy();
        }
    }

    @Test
    void callersBeyondTheCapWaitInLineAndTheCapIsNeverExceeded() throws Exception {
        DeviceConnectionFactoryImpl f = adapter.factory(table(1));
        DeviceConnection held = f.getConnection("a");
        assertThat(ask(held)).isEqualTo("A"); // the first I/O borrows a's only link
        // a second caller for the same device waits for the one connection, then gets it
        CompletableFuture<String> waiter = CompletableFuture.supplyAsync(() -> {
            try (DeviceConnection c = f.getConnection("a")) {
                return ask(c);
            } catch (DeviceException e) {
                return e.getMessage();
            }
        });
        Thread.sleep(100);
        assertThat(waiter).isNotDone();
        // another device is not affected by a's cap
        try (DeviceConnection cb = f.getConnection("b")) {
            assertThat(ask(cb)).isEqualTo("B");
        }
        held.close();
        assertThat(waiter.get(2, TimeUnit.SECONDS)).isEqualTo("A");

        DeviceConnection again = f.getConnection("a");
        assertThat(ask(again)).isEqualTo("A");
        try (DeviceConnection late = f.getConnection("a")) {
            long t = System.nanoTime();
            assertThatThrownBy(() -> ask(late)).isInstanceOf(DeviceBusyException.class)
                    .hasMessageContaining("device busy: waited")
                    .hasMessageContaining("for one of its 1 connection(s)")
                    .hasMessageContaining("maxConnectionsPerDevice 1");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t)).isGreaterThanOrEqualTo(300);
        } finally {
            again.close();
        }
        assertThat(a.connectionsAccepted()).isEqualTo(1);
        assertThat(a.openConnections()).isEqualTo(1);
        assertThat(f.devices().get(0).state()).isEqualTo(io.fieldlink.api.DeviceState.UP);
    }

    @Test
    void managedConnectionsHoldNoSocketUntilUsed() throws Exception {
        DeviceManagedConnectionFactory mcf = table(2);
        adapter.factory(mcf);
        List<ManagedConnection> parked = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            parked.add(mcf.createManagedConnection(null, new DeviceRequestInfo("a")));
        }
        // ten managed connections in the "container's pool", and a still has only its one watched link
        assertThat(a.openConnections()).isEqualTo(1);
        DeviceConnection c = (DeviceConnection) parked.get(9).getConnection(null, new DeviceRequestInfo("a"));
        assertThat(ask(c)).isEqualTo("A");
        c.close();
        assertThat(a.connectionsAccepted()).isEqualTo(1);
        parked.forEach(m -> {
            try {
                m.destroy();
            } catch (ResourceException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void callersWaitInArrivalOrder() throws Exception {
        DeviceConnectionFactoryImpl f = adapter.factory(table(1));
        DeviceConnection held = f.getConnection("a");
        assertThat(ask(held)).isEqualTo("A");
        List<Integer> served = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            int caller = i;
            waiting.add(CompletableFuture.runAsync(() -> {
                try (DeviceConnection c = f.getConnection("a")) {
                    ask(c);
                    served.add(caller);
                } catch (DeviceException e) {
                    throw new IllegalStateException(e);
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (f.devices().get(0).callersWaiting() < caller && System.nanoTime() < deadline) {
                Thread.sleep(1); // until caller i is in line, so the order of arrival is known
            }
            assertThat(f.devices().get(0).callersWaiting()).isEqualTo(caller);
        }
        held.close();
        CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        assertThat(served).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void callersWaitingForADeviceThatGoesDownAreReleasedWithDeviceDown() throws Exception {
        DeviceManagedConnectionFactory mcf = table(1);
        mcf.setMaxWaitMs(30_000);
        DeviceConnectionFactoryImpl f = adapter.factory(mcf);
        DeviceConnection held = f.getConnection("a");
        assertThat(ask(held)).isEqualTo("A");
        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            try (DeviceConnection c = f.getConnection("a")) {
                ask(c);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (f.devices().get(0).callersWaiting() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        a.stop(); // switched off: the held connection closes, the reconnect is refused
        // released by the DOWN edge, long before its 30 s maxWaitMs, and told why
        assertThat(waiter.get(10, TimeUnit.SECONDS)).isInstanceOf(io.fieldlink.api.DeviceDownException.class);
        held.close();
    }
}
