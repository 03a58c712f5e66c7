package io.fieldlink.spi;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceException;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.testsupport.TestAdapter;
import io.fieldlink.testsupport.Threads;
import jakarta.resource.spi.InvalidPropertyException;
import jakarta.resource.spi.ResourceAdapterInternalException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Starting and stopping: every socket closed, no thread left, config errors readable. */
class LifecycleTest {

    private final DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());

    @AfterEach
    void tearDown() {
        sim.close();
    }

    @Test
    void stoppingTheAdapterClosesEverySocketAndLeavesNoThread() throws Exception {
        assertThat(Threads.awaitGone("fieldlink", 5_000)).isEmpty();
        TestAdapter adapter = new TestAdapter();
        var f = adapter.factory("plc", sim, m -> m.setMaxConnectionsPerDevice(5));
        List<DeviceConnection> held = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            DeviceConnection c = f.getConnection();
            c.request("x".getBytes(US_ASCII), Duration.ofSeconds(2));
            held.add(c);
        }
        held.remove(0).close(); // one idle in the pool, four in use
        assertThat(sim.openConnections()).isEqualTo(5);
        assertThat(Threads.named("fieldlink")).hasSizeLessThanOrEqualTo(3); // 2 I/O + 1 health, for every socket

        adapter.close();

        assertThat(Threads.awaitGone("fieldlink", 5_000)).isEmpty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (sim.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sim.openConnections()).isZero();
        assertThatThrownBy(() -> held.get(0).request("x".getBytes(US_ASCII), Duration.ofSeconds(1)))
                .isInstanceOf(DeviceException.class);
        assertThatThrownBy(f::getConnection).isInstanceOf(DeviceException.class);
    }

    /**
     * IronJacamar (WildFly) makes connection factories while deploying, before it starts the
     * adapter: the pool must still open when the adapter starts, so its devices are watched from
     * then on, not from the first request.
     */
    @Test
    void aFactoryMadeBeforeTheAdapterStartsOpensItsPoolWhenTheAdapterStarts() throws Exception {
        FieldLinkResourceAdapter ra = new FieldLinkResourceAdapter();
        ra.setNoticeConnectionFactory("none");
        ra.setNoticeTopic("none");
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setDeviceId("plc");
        mcf.setHost(sim.host());
        mcf.setPort(sim.port());
        mcf.setResourceAdapter(ra);
        var cm = new StandaloneConnectionManager(mcf);
        DeviceConnectionFactoryImpl f = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory(cm);
        assertThat(sim.connectionsAccepted()).isZero();
        ra.start(null);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            // the device accepts before the adapter's connect completes: wait for both ends
            while ((sim.openConnections() == 0 || f.devices().get(0).openConnections() == 0)
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(sim.openConnections()).as("device connection opened by the adapter's start, no request made")
                    .isEqualTo(1);
            assertThat(f.devices()).singleElement().satisfies(d -> assertThat(d.openConnections()).isEqualTo(1));
        } finally {
            ra.stop();
        }
        assertThat(Threads.awaitGone("fieldlink", 5_000)).isEmpty();
    }

    @Test
    void aStandaloneFactoryWorksWithoutAServerAndCleansUpOnClose() throws Exception {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setHost("127.0.0.1");
        mcf.setPort(sim.port());
        try (DeviceConnectionFactoryImpl f = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory()) {
            try (DeviceConnection c = f.getConnection()) {
                assertThat(c.deviceId()).isEqualTo("127.0.0.1:" + sim.port());
                assertThat(c.request("hi".getBytes(US_ASCII), Duration.ofSeconds(2))).isEqualTo("hi".getBytes(US_ASCII));
            }
            assertThat(Threads.named("fieldlink-standalone")).isNotEmpty();
        }
        assertThat(Threads.awaitGone("fieldlink", 5_000)).isEmpty();
    }

    @Test
    void adapterConfigErrorsNameThePropertyValueAndRange() {
        FieldLinkResourceAdapter ra = new FieldLinkResourceAdapter();
        ra.setIoThreads(0);
        assertThatThrownBy(() -> ra.start(null)).isInstanceOf(ResourceAdapterInternalException.class)
                .hasMessageContaining("ioThreads=0 is invalid; accepted: 1..64");
        ra.setIoThreads(2);
        ra.setTransport("carrier-pigeon");
        assertThatThrownBy(() -> ra.start(null)).hasMessageContaining("transport='carrier-pigeon' is invalid; accepted: AUTO|EPOLL|NIO");
    }

    @Test
    void poolConfigErrorsFailWhenThePoolIsCreated() throws Exception {
        try (TestAdapter adapter = new TestAdapter()) {
            DeviceManagedConnectionFactory mcf = adapter.mcf("bad", sim, m -> m.setKeepAliveIdleSeconds(40_000));
            assertThatThrownBy(mcf::createConnectionFactory).isInstanceOf(InvalidPropertyException.class)
                    .hasMessage("FieldLink pool 127.0.0.1:" + sim.port()
                            + ": keepAliveIdleSeconds=40000 is invalid; accepted: 1..32767");
        }
    }

    @Test
    void theNioTransportWorksToo() throws Exception {
        try (TestAdapter adapter = new TestAdapter("NIO")) {
            var f = adapter.factory("nio", sim, m -> { });
            try (DeviceConnection c = f.getConnection()) {
                assertThat(c.request("nio".getBytes(US_ASCII), Duration.ofSeconds(2))).isEqualTo("nio".getBytes(US_ASCII));
            }
        }
    }
}
