package io.fieldlink.bench;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import org.apache.commons.pool2.BasePooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * One request, one answer, against the same loopback echo device, four ways:
 * <ul>
 *   <li>{@code rawPersistentSocket}: each thread owns a blocking socket for the whole run: the limit;</li>
 *   <li>{@code fieldlink}: {@code getConnection} / {@code request} / {@code close} on a standalone
 *       FieldLink factory (its own pool, Netty event loops);</li>
 *   <li>{@code commonsPool2}: a socket pool built by hand on Apache Commons Pool2;</li>
 *   <li>{@code connectPerRequest}: connect, exchange, close (what people do without a pool).</li>
 * </ul>
 * Thread counts are set by {@link BenchMain} (1, 8, 32).
 */
public class RequestResponseBench {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"64", "1024"})
        public int size;

        DeviceSimulator device;
        DeviceConnectionFactoryImpl fieldlink;
        GenericObjectPool<Socket> pool2;
        byte[] frame;
        InetSocketAddress address;

        @Setup(Level.Trial)
        public void start() throws Exception {
            device = EchoDevice.start();
            address = new InetSocketAddress("127.0.0.1", device.port());
            frame = EchoDevice.frame(size);

            DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
            mcf.setHost("127.0.0.1");
            mcf.setPort(device.port());
            mcf.setFraming("LENGTH_FIELD");
            mcf.setLengthFieldOffset(0);
            mcf.setLengthFieldLength(2);
            mcf.setMaxConnectionsPerDevice(64);
            fieldlink = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory();

            GenericObjectPoolConfig<Socket> config = new GenericObjectPoolConfig<>();
            config.setMaxTotal(64);
            config.setMaxIdle(64);
            config.setJmxEnabled(false);
            pool2 = new GenericObjectPool<>(new BasePooledObjectFactory<>() {
                @Override
                public Socket create() throws Exception {
                    Socket s = new Socket();
                    s.setTcpNoDelay(true);
                    s.setKeepAlive(true);
                    s.connect(address, 5_000);
                    return s;
                }

                @Override
                public PooledObject<Socket> wrap(Socket s) {
                    return new DefaultPooledObject<>(s);
                }

                @Override
                public void destroyObject(PooledObject<Socket> p) throws Exception {
                    p.getObject().close();
                }
            }, config);
        }

        @TearDown(Level.Trial)
        public void stop() {
            pool2.close();
            fieldlink.close();
            device.close();
        }
    }

    @State(Scope.Thread)
    public static class OwnSocket {
        Socket socket;
        DataOutputStream out;
        DataInputStream in;

        @Setup(Level.Trial)
        public void open(Shared shared) throws Exception {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            socket.connect(shared.address, 5_000);
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 4096));
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 4096));
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            socket.close();
        }
    }

    @Benchmark
    public byte[] rawPersistentSocket(Shared shared, OwnSocket own) throws Exception {
        return EchoDevice.exchange(own.out, own.in, shared.frame);
    }

    @Benchmark
    public byte[] fieldlink(Shared shared) throws Exception {
        try (DeviceConnection c = shared.fieldlink.getConnection()) {
            return c.request(shared.frame, TIMEOUT);
        }
    }

    @Benchmark
    public byte[] commonsPool2(Shared shared) throws Exception {
        Socket s = shared.pool2.borrowObject();
        try {
            // streams are not kept with the socket: a typical hand-written pool hands out bare sockets
            return EchoDevice.exchange(new DataOutputStream(s.getOutputStream()),
                    new DataInputStream(new BufferedInputStream(s.getInputStream(), 4096)), shared.frame);
        } catch (Exception e) {
            shared.pool2.invalidateObject(s);
            s = null;
            throw e;
        } finally {
            if (s != null) {
                shared.pool2.returnObject(s);
            }
        }
    }

    @Benchmark
    public byte[] connectPerRequest(Shared shared) throws Exception {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            // RST on close: without it TIME_WAIT sockets exhaust loopback's ephemeral ports within
            // seconds at these rates (which only flatters this baseline)
            s.setSoLinger(true, 0);
            s.connect(shared.address, 5_000);
            return EchoDevice.exchange(new DataOutputStream(s.getOutputStream()),
                    new DataInputStream(new BufferedInputStream(s.getInputStream(), 4096)), shared.frame);
        }
    }
}
