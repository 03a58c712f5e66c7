package io.fieldlink.bench;

import com.digitalpetri.modbus.client.ModbusTcpClient;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersRequest;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersResponse;
import com.digitalpetri.modbus.tcp.client.NettyTcpClientTransport;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.simulator.Behaviour;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.ModbusRegisters;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Modbus TCP gateway in front of slow devices: it answers each request 2 ms after it arrives,
 * independently of the other requests in flight, and accepts ONE connection. 1, 8 and 32 threads
 * read holding registers through each client in turn, each read checked by content (register
 * values are their addresses, and every thread reads its own addresses), and a table of
 * throughput and p50/p99 latency is printed.
 *
 * <pre>
 * mvn -B -q -DskipTests package -pl bench -am
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ModbusGatewayHarness [seconds per cell]
 * </pre>
 *
 * Clients: FieldLink one request at a time on its one connection (correlation by the MBAP
 * transaction id, {@code maxConnectionsPerDevice=1}), and digitalpetri's Netty client
 * ({@code com.digitalpetri.modbus:modbus-tcp}), which keeps several requests in flight on its
 * connection.
 */
public final class ModbusGatewayHarness {

    private static final int ANSWER_DELAY_MS = 2;

    private ModbusGatewayHarness() {
    }

    /** One client under test: a blocking read of two registers at {@code address}. */
    private interface Client extends AutoCloseable {
        int[] read(int address) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** What one cell of the table measured. */
    private record Cell(String client, int threads, long reads, long wrong, long failed, double seconds, long[] micros) {
        double perSecond() {
            return reads / seconds;
        }

        double percentile(double p) {
            if (micros.length == 0) {
                return Double.NaN;
            }
            return micros[Math.min(micros.length - 1, (int) Math.ceil(p / 100 * micros.length) - 1)];
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        try (DeviceSimulator gateway = DeviceSimulator.start(SimFraming.modbusTcp(), "127.0.0.1", 0, 1)) {
            gateway.respondWith(new ModbusRegisters()).behave(Behaviour.DELAY).delayMs(ANSWER_DELAY_MS)
                    .clientLimit(1, DeviceSimulator.LimitAction.CLOSE);
            List<Cell> cells = new ArrayList<>();
            for (int threads : new int[] {1, 8, 32}) {
                try (Client c = fieldLinkOneAtATime(gateway)) {
                    cells.add(measure("FieldLink, one at a time", c, threads, seconds));
                }
                try (Client c = digitalpetri(gateway)) {
                    cells.add(measure("digitalpetri modbus-tcp 2.1.3", c, threads, seconds));
                }
            }
            print(cells, seconds);
        }
    }

    private static Client fieldLinkOneAtATime(DeviceSimulator gateway) throws Exception {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setDeviceId("gateway");
        mcf.setHost(gateway.host());
        mcf.setPort(gateway.port());
        mcf.setFraming("LENGTH_FIELD");
        mcf.setLengthFieldOffset(4);
        mcf.setLengthFieldLength(2);
        mcf.setCorrelationIdOffset(0);
        mcf.setCorrelationIdLength(2);
        mcf.setMaxConnectionsPerDevice(1);
        mcf.setMaxWaitMs(60_000);
        DeviceConnectionFactoryImpl f = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory();
        return new Client() {
            @Override
            public int[] read(int address) throws Exception {
                try (DeviceConnection c = f.getConnection()) {
                    return ModbusRegisters.registers(c.request(ModbusRegisters.readHoldingRegisters(0, 1, address, 2),
                            Duration.ofSeconds(10)));
                }
            }

            @Override
            public void close() {
                f.close();
            }
        };
    }

    private static Client digitalpetri(DeviceSimulator gateway) throws Exception {
        NettyTcpClientTransport transport = NettyTcpClientTransport.create(cfg -> {
            cfg.hostname = gateway.host();
            cfg.port = gateway.port();
        });
        ModbusTcpClient client = ModbusTcpClient.create(transport);
        client.connect();
        return new Client() {
            @Override
            public int[] read(int address) throws Exception {
                ReadHoldingRegistersResponse r = client.readHoldingRegisters(1, new ReadHoldingRegistersRequest(address, 2));
                byte[] b = r.registers();
                return new int[] {((b[0] & 0xFF) << 8) | (b[1] & 0xFF), ((b[2] & 0xFF) << 8) | (b[3] & 0xFF)};
            }

            @Override
            public void close() throws Exception {
                client.disconnect();
            }
        };
    }

    private static Cell measure(String name, Client client, int threads, int seconds) throws Exception {
        run(client, threads, Math.max(1, seconds / 3)); // warm-up
        return run(client, threads, seconds).named(name, threads);
    }

    private record Run(long reads, long wrong, long failed, double seconds, long[] micros) {
        Cell named(String name, int threads) {
            return new Cell(name, threads, reads, wrong, failed, seconds, micros);
        }
    }

    private static Run run(Client client, int threads, int seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong wrong = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Future<long[]>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * 1000; // every thread reads addresses of its own
            workers.add(pool.submit(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                for (int i = 0; System.nanoTime() < end; i++) {
                    int address = base + (i % 998);
                    long t0 = System.nanoTime();
                    try {
                        int[] v = client.read(address);
                        if (v.length != 2 || v[0] != address || v[1] != address + 1) {
                            wrong.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        continue;
                    }
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = (System.nanoTime() - t0) / 1_000;
                }
                return Arrays.copyOf(lat, n);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : workers) {
            all.add(f.get());
        }
        double took = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long[] micros = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Run(micros.length, wrong.get(), failed.get(), took, micros);
    }

    private static void print(List<Cell> cells, int seconds) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%n### Modbus TCP gateway, answers %d ms after each request, one connection "
                + "(%d s per cell, %d cores, %s)%n%n", ANSWER_DELAY_MS, seconds, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version")));
        out.append("| threads | client | reads/s | p50 ms | p99 ms | wrong answers | failed |\n|---|---|---|---|---|---|---|\n");
        for (Cell c : cells) {
            out.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.2f | %.2f | %d | %d |%n", c.threads(), c.client(),
                    c.perSecond(), c.percentile(50) / 1000, c.percentile(99) / 1000, c.wrong(), c.failed()));
        }
        System.out.print(out);
    }
}
