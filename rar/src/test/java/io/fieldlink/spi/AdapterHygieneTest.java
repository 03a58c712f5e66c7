package io.fieldlink.spi;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.simulator.Behaviour;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.testsupport.LogRecords;
import io.fieldlink.testsupport.TestAdapter;
import io.fieldlink.testsupport.Threads;
import jakarta.resource.spi.ManagedConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the adapter owes the server it runs in: one pool per configuration and none left behind, a
 * log a chatty device cannot flood, loud misuse, and threads that do not pin an application.
 */
class AdapterHygieneTest {

    private TestAdapter adapter;
    private final DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());

    @AfterEach
    void tearDown() {
        if (adapter != null) {
            adapter.close();
        }
        sim.close();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    @Test
    void factoriesWithEqualConfigurationShareOnePoolAndListEachDeviceOnce() throws Exception {
        adapter = new TestAdapter();
        DeviceManagedConnectionFactory first = adapter.mcf("shared", sim, m -> { });
        DeviceManagedConnectionFactory second = adapter.mcf("shared", sim, m -> { }); // a ping, or a second lookup
        DeviceConnectionFactory f1 = adapter.factory(first);
        DeviceConnectionFactory f2 = adapter.factory(second);
        try (DeviceConnection a = f1.getConnection(); DeviceConnection b = f2.getConnection()) {
            a.request(ascii("1"), Duration.ofSeconds(2));
            b.request(ascii("2"), Duration.ofSeconds(2));
        }
        assertThat(first.pool()).isSameAs(second.pool());
        assertThat(adapter.ra.devices()).extracting(s -> s.deviceId()).containsExactly("shared");
        assertThat(sim.openConnections()).as("two connections of one pool, not two pools' spares").isEqualTo(2);
    }

    @Test
    void aPoolNoFactoryReferencesAnyMoreClosesItsConnections() throws Exception {
        adapter = new TestAdapter();
        openAndForget(); // a reconfigured or undeployed app-scoped pool: its factory is garbage
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((!adapter.ra.devices().isEmpty() || sim.openConnections() > 0) && System.nanoTime() < deadline) {
            System.gc();
            adapter.ra.runtime().expungeCollectedFactories();
            Thread.sleep(20);
        }
        assertThat(adapter.ra.devices()).isEmpty();
        assertThat(sim.openConnections()).isZero();
        // and it stopped watching: no pool left to reconnect, no outage announced for the closed one
        assertThat(adapter.ra.runtime().pools()).isEmpty();
        assertThat(adapter.events.edges()).isEmpty();
        // and its metrics went with it, while the adapter runs on
        assertThat(ManagementFactory.getPlatformMBeanServer().queryNames(
                new ObjectName("io.fieldlink:pool=app-scoped,*"), null)).isEmpty();
    }

    private void openAndForget() throws Exception {
        DeviceManagedConnectionFactory gone = adapter.mcf("gone", sim, m -> m.setPoolName("app-scoped"));
        gone.pool();
        adapter.events.awaitFirstVerdict("gone");
        assertThat(sim.openConnections()).isEqualTo(1);
        assertThat(ManagementFactory.getPlatformMBeanServer().queryNames(
                new ObjectName("io.fieldlink:pool=app-scoped,*"), null)).hasSize(2); // the pool and its device
    }

    /**
     * A device that keeps breaking the framing (every answer too big) or keeps timing out costs
     * its connections, and a few log lines with counts, not one line per failure.
     */
    @Test
    void aDeviceThatKeepsFailingTheSameWayCostsAFewLogLinesNotOnePerFailure() throws Exception {
        adapter = new TestAdapter();
        LogRecords healthLog = LogRecords.of("io.fieldlink.health.DeviceHealth");
        try {
            // 30 answers too big for maxFrameLength: each costs the device its connection
            sim.respondWith(r -> new byte[64]);
            DeviceConnectionFactory big = adapter.factory("oversize", sim, m -> m.setMaxFrameLength(16));
            for (int i = 0; i < 30; i++) {
                try (DeviceConnection c = big.getConnection()) {
                    c.request(ascii("read " + i), Duration.ofSeconds(2));
                } catch (io.fieldlink.api.DeviceException expected) {
                    // the connection went; the next request gets a new one
                }
            }
            // 30 requests that time out on a hung device: each one makes the pool check the device
            DeviceSimulator hung = DeviceSimulator.start(io.fieldlink.simulator.SimFraming.line())
                    .behave(io.fieldlink.simulator.Behaviour.HANG);
            try {
                DeviceConnectionFactory slow = adapter.factory("hung", hung, m -> { });
                for (int i = 0; i < 30; i++) {
                    try (DeviceConnection c = slow.getConnection()) {
                        c.request(ascii("read " + i), Duration.ofMillis(20));
                    } catch (io.fieldlink.api.DeviceException expected) {
                        // timed out
                    }
                }
            } finally {
                hung.close();
            }
        } finally {
            healthLog.close();
        }
        List<String> framing = healthLog.messages("broke the framing");
        List<String> probes = healthLog.messages("checking it with a new connection");
        assertThat(framing).as("framing warnings for 30 oversize answers").hasSizeBetween(1, 3);
        assertThat(probes).as("probe lines for 30 timeouts").hasSizeBetween(1, 3);
    }

    @Test
    void aDeviceFloodingUnreadFramesCostsAFewLogLinesNotThousands() throws Exception {
        adapter = new TestAdapter();
        DeviceConnectionFactory f = adapter.factory("chatty", sim, m -> { });
        LogRecords linkLog = LogRecords.of("io.fieldlink.transport.DeviceLink");
        try {
            for (int i = 0; i < 20_000; i++) {
                sim.pushToAll(ascii("reading " + i));
            }
            // a request after the flood proves every frame before it was read and dealt with
            try (DeviceConnection c = f.getConnection()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                byte[] answer;
                do {
                    answer = c.request(ascii("after the flood"), Duration.ofSeconds(2));
                } while (!new String(answer, US_ASCII).equals("after the flood") && System.nanoTime() < deadline);
                assertThat(answer).isEqualTo(ascii("after the flood"));
            }
        } finally {
            linkLog.close();
        }
        List<LogRecord> warnings = linkLog.atLeast(Level.WARNING);
        assertThat(warnings).as("warnings for 20,000 unread frames").hasSizeBetween(1, 2);
        assertThat(warnings.get(0).getMessage()).contains("nobody reads it");
    }

    @Test
    void twoThreadsOnOneHandleFailLoudly() throws Exception {
        adapter = new TestAdapter();
        DeviceConnectionFactory f = adapter.factory("shared-handle", sim, m -> { });
        sim.behave(Behaviour.DELAY).delayMs(500);
        try (DeviceConnection c = f.getConnection()) {
            CompletableFuture<byte[]> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.request(ascii("first"), Duration.ofSeconds(2));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (sim.framesReceived() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(2); // until the first request is on the wire
            }
            assertThatThrownBy(() -> c.request(ascii("second"), Duration.ofSeconds(2)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("one thread at a time");
            assertThat(first.get(3, TimeUnit.SECONDS)).isEqualTo(ascii("first"));
        }
    }

    @Test
    void aCleanupDuringARequestFailsThatRequestLoudly() throws Exception {
        adapter = new TestAdapter();
        DeviceManagedConnectionFactory mcf = adapter.mcf("cleaned", sim, m -> { });
        adapter.factory(mcf);
        sim.behave(Behaviour.DELAY).delayMs(300);
        ManagedConnection mc = mcf.createManagedConnection(null, new DeviceRequestInfo("cleaned"));
        DeviceConnection c = (DeviceConnection) mc.getConnection(null, new DeviceRequestInfo("cleaned"));
        CompletableFuture<Throwable> during = CompletableFuture.supplyAsync(() -> {
            try {
                c.request(ascii("long"), Duration.ofSeconds(2));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (sim.framesReceived() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        mc.cleanup(); // the container thinks the transaction is over
        assertThat(during.get(3, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cleaned up the connection");
        assertThatThrownBy(() -> c.request(ascii("again"), Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
        mc.destroy();
    }

    @Test
    void adapterThreadsRunWithTheAdaptersClassLoaderNotTheFirstCallers() throws Exception {
        ClassLoader application = new URLClassLoader(new URL[0], getClass().getClassLoader());
        Thread caller = Thread.currentThread();
        ClassLoader before = caller.getContextClassLoader();
        caller.setContextClassLoader(application); // as if an application's request thread started it all
        try {
            adapter = new TestAdapter();
            DeviceConnectionFactory f = adapter.factory("ccl", sim, m -> { });
            try (DeviceConnection c = f.getConnection()) {
                c.request(ascii("x"), Duration.ofSeconds(2));
            }
        } finally {
            caller.setContextClassLoader(before);
        }
        Map<Thread, StackTraceElement[]> all = Thread.getAllStackTraces();
        List<Thread> ours = all.keySet().stream().filter(t -> t.getName().startsWith("fieldlink")).toList();
        assertThat(ours).isNotEmpty();
        assertThat(ours).allSatisfy(t -> assertThat(t.getContextClassLoader()).as(t.getName())
                .isNotSameAs(application).isSameAs(DeviceManagedConnectionFactory.class.getClassLoader()));
        assertThat(Threads.named("fieldlink")).isNotEmpty();
    }
}
