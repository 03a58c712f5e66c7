package io.fieldlink.bench;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of the pool itself: {@code getConnection()} then {@code close()} of a handle, no I/O,
 * in the style of HikariCP's ConnectionBench (connections are already open after warm-up).
 */
public class BorrowReturnBench {

    @State(Scope.Benchmark)
    public static class Pool {
        DeviceSimulator device;
        DeviceConnectionFactoryImpl fieldlink;

        @Setup(Level.Trial)
        public void start() throws Exception {
            device = EchoDevice.start();
            DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
            mcf.setHost("127.0.0.1");
            mcf.setPort(device.port());
            mcf.setFraming("LENGTH_FIELD");
            mcf.setMaxConnectionsPerDevice(64);
            fieldlink = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory();
        }

        @TearDown(Level.Trial)
        public void stop() {
            fieldlink.close();
            device.close();
        }
    }

    @Benchmark
    public String borrowAndReturn(Pool pool) throws Exception {
        DeviceConnection c = pool.fieldlink.getConnection();
        String id = c.deviceId();
        c.close();
        return id;
    }
}
