package io.fieldlink.jmx;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.simulator.Behaviour;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.testsupport.TestAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The adapter's metrics as any JMX client reads them: through the platform MBeanServer, by
 * ObjectName and attribute name, with no FieldLink class on the reading side.
 */
class JmxMetricsTest {

    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Set<ObjectName> before = fieldLinkBeans();
    private final TestAdapter adapter = new TestAdapter();
    private final DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());

    @AfterEach
    void tearDown() {
        adapter.close();
        sim.close();
    }

    private static Set<ObjectName> fieldLinkBeans() {
        try {
            return JMX.queryNames(new ObjectName("io.fieldlink:*"), null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectName device(String pool, String device) throws Exception {
        return new ObjectName("io.fieldlink:type=Device,pool=" + pool + ",device=" + device);
    }

    private static ObjectName pool(String pool) throws Exception {
        return new ObjectName("io.fieldlink:type=Pool,pool=" + pool);
    }

    private static long number(ObjectName bean, String attribute) throws Exception {
        return ((Number) JMX.getAttribute(bean, attribute)).longValue();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    private DeviceConnectionFactory factory(String pool, String device) {
        return adapter.factory(device, sim, m -> m.setPoolName(pool));
    }

    /** Answers to send() calls (without correlation) are what receive() reads, not unsolicited frames. */
    @Test
    void answersToSendAreNotCountedAsUnsolicited() throws Exception {
        DeviceConnectionFactory f = factory("sender", "plc");
        ObjectName plc = device("sender", "plc");
        try (DeviceConnection c = f.getConnection()) {
            for (int i = 0; i < 5; i++) {
                c.send(ascii("ping " + i));
                assertThat(c.receive(TIMEOUT)).isEqualTo(ascii("ping " + i));
            }
        }
        assertThat(number(plc, "UnsolicitedFrames")).isZero();
    }

    @Test
    void anAnsweredRequestIsCountedAndItsLatencyRecorded() throws Exception {
        DeviceConnectionFactory f = factory("meter", "plc");
        ObjectName plc = device("meter", "plc");
        assertThat(JMX.getAttribute(plc, "State")).isEqualTo("UP");
        assertThat(number(plc, "StateCode")).isEqualTo(1);
        assertThat(number(plc, "Requests")).isZero();

        try (DeviceConnection c = f.getConnection()) {
            c.request(ascii("ping"), TIMEOUT);
            assertThat(number(plc, "ConnectionsInUse")).isEqualTo(1);
        }

        assertThat(number(plc, "Requests")).isEqualTo(1);
        assertThat(number(plc, "Errors")).isZero();
        assertThat(number(plc, "LatencyCount")).isEqualTo(1);
        assertThat(number(plc, "LatencySumMicros")).isPositive();
        assertThat(number(plc, "LatencyWindowCount")).isEqualTo(1);
        long p50 = number(plc, "LatencyP50Micros");
        long p99 = number(plc, "LatencyP99Micros");
        long max = number(plc, "LatencyMaxMicros");
        assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(max);
        assertThat(max).isLessThan(TIMEOUT.toNanos() / 1000);
        assertThat(number(plc, "ConnectionsInUse")).isZero();
        assertThat(number(plc, "OpenConnections")).isPositive();
        assertThat(number(plc, "IdleConnections")).isEqualTo(number(plc, "OpenConnections"));
        assertThat(number(plc, "OutageMillis")).isZero();

        ObjectName meter = pool("meter");
        assertThat(number(meter, "Requests")).isEqualTo(1);
        assertThat(number(meter, "Devices")).isEqualTo(1);
        assertThat(number(meter, "DevicesUp")).isEqualTo(1);
        assertThat(number(meter, "LatencyMaxMicros")).isEqualTo(max);
    }

    @Test
    void aHungDeviceCountsATimeoutAndNoLatency() throws Exception {
        DeviceConnectionFactory f = factory("hung", "plc");
        ObjectName plc = device("hung", "plc");
        sim.behave(Behaviour.HANG);

        try (DeviceConnection c = f.getConnection()) {
            assertThatThrownBy(() -> c.request(ascii("?"), Duration.ofMillis(300)))
                    .isInstanceOf(DeviceTimeoutException.class);
        }

        assertThat(number(plc, "Requests")).isEqualTo(1);
        assertThat(number(plc, "Timeouts")).isEqualTo(1);
        assertThat(number(plc, "Errors")).isEqualTo(1);
        assertThat(number(plc, "LatencyCount")).isZero();
        assertThat(number(pool("hung"), "Timeouts")).isEqualTo(1);
    }

    @Test
    void aStoppedDeviceIsDownWithOneDropAnOutageAndFailFastErrors() throws Exception {
        DeviceConnectionFactory f = factory("stopped", "plc");
        ObjectName plc = device("stopped", "plc");
        assertThat(number(plc, "Drops")).isZero();

        sim.stop();

        await().atMost(5, SECONDS).until(() -> number(plc, "StateCode") == 2);
        assertThat(JMX.getAttribute(plc, "State")).isEqualTo("DOWN");
        assertThat(number(plc, "Drops")).isEqualTo(1);
        await().atMost(5, SECONDS).until(() -> number(plc, "OutageMillis") > 0);
        assertThat(number(plc, "OpenConnections")).isZero();
        ObjectName stopped = pool("stopped");
        assertThat(number(stopped, "StateCode")).isEqualTo(2);
        assertThat(number(stopped, "DevicesDown")).isEqualTo(1);
        assertThat(number(stopped, "Drops")).isEqualTo(1);

        assertThatThrownBy(f::getConnection).isInstanceOf(DeviceDownException.class);
        assertThat(number(plc, "DownErrors")).isEqualTo(1);
        assertThat(number(plc, "Errors")).isEqualTo(1);
        await().atMost(5, SECONDS).until(() -> number(plc, "ReconnectAttempts") > 0);

        sim.startAgain();
        await().atMost(5, SECONDS).until(() -> number(plc, "StateCode") == 1);
        assertThat(number(plc, "OutageMillis")).isZero();
        assertThat(number(plc, "Drops")).isEqualTo(1);
    }

    @Test
    void aCallerBeyondTheDevicesConnectionsCountsABusyError() throws Exception {
        DeviceConnectionFactory f = adapter.factory("plc", sim, m -> {
            m.setPoolName("busy");
            m.setMaxConnectionsPerDevice(1);
            m.setMaxWaitMs(200);
        });
        ObjectName plc = device("busy", "plc");
        try (DeviceConnection holder = f.getConnection(); DeviceConnection late = f.getConnection()) {
            holder.request(ascii("mine"), TIMEOUT);
            assertThatThrownBy(() -> late.request(ascii("mine too"), TIMEOUT)).isInstanceOf(DeviceBusyException.class);
        }
        assertThat(number(plc, "BusyErrors")).isEqualTo(1);
        assertThat(number(plc, "Requests")).isEqualTo(2);
        assertThat(number(plc, "LatencyCount")).isEqualTo(1);
    }

    @Test
    void framesNobodyAskedForAndFramesOverTheLimitAreCounted() throws Exception {
        DeviceConnectionFactory f = adapter.factory("plc", sim, m -> {
            m.setPoolName("frames");
            m.setMaxFrameLength(16);
        });
        ObjectName plc = device("frames", "plc");
        sim.pushToAll(ascii("spontaneous"));
        await().atMost(5, SECONDS).until(() -> number(plc, "UnsolicitedFrames") == 1);

        byte[] big = new byte[100];
        Arrays.fill(big, (byte) 'a');
        sim.respondWith(r -> big);
        try (DeviceConnection c = f.getConnection()) {
            assertThatThrownBy(() -> c.request(ascii("x"), TIMEOUT)).isInstanceOf(ConnectionLostException.class);
        }
        assertThat(number(plc, "OversizeFrames")).isEqualTo(1);
        assertThat(number(plc, "ConnectionLostErrors")).isEqualTo(1);
    }

    @Test
    void theAdapterShowsItsNotices() throws Exception {
        factory("notices", "plc");
        Set<ObjectName> notices = JMX.queryNames(new ObjectName("io.fieldlink:type=Notices,*"), null);
        notices.removeAll(before);
        assertThat(notices).hasSize(1);
        ObjectName n = notices.iterator().next();
        assertThat(JMX.getAttribute(n, "State")).isEqualTo(adapter.ra.noticeStats().state().name());
        assertThat(number(n, "Pending")).isZero();
        assertThat(number(n, "Sent")).isZero();
        assertThat(number(n, "Dropped")).isZero();
    }

    @Test
    void stoppingTheAdapterUnregistersEveryFieldLinkMBean() throws Exception {
        factory("undeploy", "plc");
        assertThat(JMX.isRegistered(pool("undeploy"))).isTrue();
        assertThat(JMX.isRegistered(device("undeploy", "plc"))).isTrue();
        assertThat(fieldLinkBeans()).hasSizeGreaterThan(before.size() + 2); // and the adapter's Notices

        adapter.close();

        assertThat(fieldLinkBeans()).isEqualTo(before);
    }

    @Test
    void closingAStandalonePoolUnregistersItsBeans() throws Exception {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setHost(sim.host());
        mcf.setPort(sim.port());
        String id = sim.host() + ":" + sim.port(); // the default pool and device name: needs quoting
        ObjectName quoted = new ObjectName("io.fieldlink:type=Device,pool=" + ObjectName.quote(id) + ",device="
                + ObjectName.quote(id));
        try (DeviceConnectionFactoryImpl f = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory()) {
            try (DeviceConnection c = f.getConnection()) {
                c.request(ascii("hi"), TIMEOUT);
            }
            assertThat(number(quoted, "Requests")).isEqualTo(1);
        }
        assertThat(JMX.isRegistered(quoted)).isFalse();
    }

    @Test
    void twoAdaptersWithPoolsOfTheSameNameBothRegister() throws Exception {
        factory("twin", "plc");
        try (TestAdapter second = new TestAdapter()) {
            DeviceConnectionFactory other = second.factory("plc", sim, m -> m.setPoolName("twin"));
            try (DeviceConnection c = other.getConnection()) {
                c.request(ascii("second"), TIMEOUT);
            }
            assertThat(number(device("twin", "plc"), "Requests")).isZero();
            assertThat(number(device("twin#2", "plc"), "Requests")).isEqualTo(1);
            assertThat(JMX.isRegistered(pool("twin#2"))).isTrue();
        }
        assertThat(JMX.isRegistered(pool("twin#2"))).isFalse();
        assertThat(JMX.isRegistered(pool("twin"))).isTrue();
    }
}
