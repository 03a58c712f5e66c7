package io.fieldlink.transport;

import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.LinkSettings;
import io.fieldlink.config.PoolConfig;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

/** Host names are resolved off the event loops, and again on every connect. */
class NameResolutionTest {

    private static LinkSettings settings(int port) {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setHost("127.0.0.1");
        mcf.setPort(port);
        mcf.setConnectTimeoutMs(5_000);
        return PoolConfig.from(mcf).link();
    }

    @Test
    void aSlowNameServerDoesNotStallOtherDevicesOnTheSameEventLoop() throws Exception {
        CountDownLatch nameServerAnswers = new CountDownLatch(1);
        LinkTransport.Resolver slowDns = host -> {
            try {
                nameServerAnswers.await(10, TimeUnit.SECONDS); // a dead name server
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return InetAddress.getByName("127.0.0.1");
        };
        try (DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());
             LinkTransport transport = new LinkTransport(1, TransportKind.AUTO, "dns-test", slowDns)) {
            LinkSettings s = settings(sim.port());
            CompletableFuture<DeviceLink> byName = transport.connect(new DeviceAddress("gw", "gateway.plant.example",
                    sim.port()), s);
            // the one event loop must still serve a device given by address while the name hangs
            DeviceLink other = transport.connect(new DeviceAddress("plc", "127.0.0.1", sim.port()), s)
                    .get(2, TimeUnit.SECONDS);
            assertThat(other.request("still served".getBytes(US_ASCII), 2_000)).isEqualTo("still served".getBytes(US_ASCII));
            assertThat(byName).isNotDone();
            nameServerAnswers.countDown();
            DeviceLink gw = byName.get(5, TimeUnit.SECONDS);
            assertThat(gw.request("gw".getBytes(US_ASCII), 2_000)).isEqualTo("gw".getBytes(US_ASCII));
        }
    }

    @Test
    void aNameIsResolvedAgainOnEveryConnect() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        LinkTransport.Resolver dns = host -> {
            asked.add(host + " on " + Thread.currentThread().getName());
            return InetAddress.getByName("127.0.0.1");
        };
        try (DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());
             LinkTransport transport = new LinkTransport(1, TransportKind.AUTO, "dns-test", dns)) {
            DeviceAddress gw = new DeviceAddress("gw", "gateway.dhcp.example", sim.port());
            for (int i = 0; i < 3; i++) {
                transport.connect(gw, settings(sim.port())).get(2, TimeUnit.SECONDS).close(LinkFailure.local("test"));
            }
        }
        assertThat(asked).hasSize(3).allMatch(a -> a.startsWith("gateway.dhcp.example on dns-test-resolve"));
    }
}
