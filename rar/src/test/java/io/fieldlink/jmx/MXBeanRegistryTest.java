package io.fieldlink.jmx;

import io.fieldlink.testsupport.LogRecords;
import io.fieldlink.config.PoolConfig;
import io.fieldlink.health.DeviceHealth;
import io.fieldlink.health.TimeSource;
import io.fieldlink.notice.NoticeStats;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.AdapterRuntime;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.spi.PoolRuntime;
import io.fieldlink.transport.DeviceLink;
import io.fieldlink.transport.TransportKind;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** ObjectNames an operator can type, and a JMX that refuses FieldLink costing one log line, not the adapter. */
class MXBeanRegistryTest {

    @Test
    void plainNamesStayPlainAndReservedCharactersAreQuoted() throws Exception {
        assertThat(MXBeanRegistry.deviceName("line-3", "plc-7"))
                .isEqualTo(new ObjectName("io.fieldlink:type=Device,pool=line-3,device=plc-7"));
        assertThat(MXBeanRegistry.deviceName("line-3", "plc-7").toString())
                .isEqualTo("io.fieldlink:type=Device,pool=line-3,device=plc-7"); // the keys in this order
        assertThat(MXBeanRegistry.poolName("127.0.0.1:5020").toString())
                .isEqualTo("io.fieldlink:type=Pool,pool=\"127.0.0.1:5020\"");
        assertThat(MXBeanRegistry.noticesName("a,b=c*").getKeyProperty("instance"))
                .isEqualTo(ObjectName.quote("a,b=c*"));
        assertThat(MXBeanRegistry.poolName("devices:[a, b]").isPattern()).isFalse();
    }

    @Test
    void aServerThatRefusesEveryMBeanCostsOneWarningAndNotThePool() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        MBeanServer refusing = (MBeanServer) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MBeanServer.class}, (proxy, method, args) -> {
                    if (method.getName().equals("isRegistered")) {
                        return false;
                    }
                    attempts.incrementAndGet();
                    throw new SecurityException("MBeanPermission denied (a strict security policy)");
                });
        LogRecords registryLog = LogRecords.of(MXBeanRegistry.class.getName());
        try (DeviceSimulator sim = DeviceSimulator.start(SimFraming.line())) {
            DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
            mcf.setDevices("a=127.0.0.1:" + sim.port() + ",b=127.0.0.1:" + sim.port());
            AdapterRuntime runtime = new AdapterRuntime(1, TransportKind.AUTO, "fieldlink-refused", TimeSource.SYSTEM,
                    Math::random, new MXBeanRegistry(refusing));
            try {
                runtime.mbeans().registerNotices("refused", () -> NoticeStats.disabled("none", "test"));
                PoolRuntime pool = runtime.acquirePool("key", "refused", PoolConfig.from(mcf));
                DeviceHealth a = pool.device("a");
                await().atMost(5, SECONDS).until(a::isUp);
                DeviceLink link = a.lease(1_000);
                try {
                    assertThat(link.request("still works".getBytes(US_ASCII), 2_000))
                            .isEqualTo("still works".getBytes(US_ASCII));
                } finally {
                    a.giveBack(link);
                }
                runtime.releasePool("key");
            } finally {
                runtime.close();
            }
        } finally {
            registryLog.close();
        }
        assertThat(attempts.get()).as("the notices bean, then the pool's (devices go with their pool)").isEqualTo(2);
        List<LogRecord> warnings = registryLog.atLeast(Level.WARNING);
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0).getMessage()).contains("the adapter works on without it");
    }

    @Test
    void withoutAnMBeanServerNothingIsRegisteredAndNothingFails() {
        MXBeanRegistry none = new MXBeanRegistry(null);
        assertThat(none.registerNotices("x", () -> NoticeStats.disabled("none", "test")))
                .isSameAs(MXBeanRegistry.Registration.NONE);
        assertThat(none.registerPool("p", List.of())).isSameAs(MXBeanRegistry.Registration.NONE);
        none.close();
    }
}
