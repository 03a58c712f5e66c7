package io.fieldlink.bench;

import com.digitalpetri.modbus.client.ModbusTcpClient;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersRequest;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersResponse;
import com.digitalpetri.modbus.tcp.client.NettyTcpClientTransport;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.simulator.ModbusRegisters;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;

/**
 * The Modbus TCP clients the harnesses compare, and the loop that drives them with every answer
 * checked by content.
 *
 * <pre>{@code
 * try (ModbusClients.Client c = ModbusClients.fieldLink("FieldLink, pipelined", "127.0.0.1", 1502, 32)) {
 *     ModbusClients.Result r = ModbusClients.readFor(c, 8, 5_000, 2, a -> a); // register a holds a
 *     if (!r.clean()) { ... r.examples() ... }
 * }
 * }</pre>
 */
final class ModbusClients {

    /** Unit id every client reads. */
    static final int UNIT = 1;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_EXAMPLES = 10;

    private ModbusClients() {
    }

    /** One client under test: a blocking read of holding registers of unit {@link #UNIT}. */
    interface Client extends AutoCloseable {
        String name();

        /**
         * The values of registers {@code address .. address+quantity-1}; an answer that is not the
         * answer to this read (another transaction id, unit, function, length, or a Modbus exception)
         * is a {@link WrongAnswer}.
         */
        int[] read(int address, int quantity) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** An answer that is not the answer to the read that got it. */
    static final class WrongAnswer extends Exception {
        WrongAnswer(String message) {
            super(message);
        }
    }

    /**
     * FieldLink on ONE connection ({@code maxConnectionsPerDevice=1}), correlation on the MBAP
     * transaction id, {@code maxInFlightPerConnection} as given (1 = one request at a time). Each read
     * carries a transaction id of its own, and the answer must carry it back.
     */
    static Client fieldLink(String name, String host, int port, int maxInFlightPerConnection) throws Exception {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setDeviceId("modbus");
        mcf.setHost(host);
        mcf.setPort(port);
        mcf.setFraming("LENGTH_FIELD");
        mcf.setLengthFieldOffset(4);
        mcf.setLengthFieldLength(2);
        mcf.setCorrelationIdOffset(0);
        mcf.setCorrelationIdLength(2);
        mcf.setMaxConnectionsPerDevice(1);
        mcf.setMaxInFlightPerConnection(maxInFlightPerConnection);
        mcf.setMaxWaitMs(60_000);
        DeviceConnectionFactoryImpl f = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory();
        AtomicInteger ids = new AtomicInteger();
        return new Client() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int[] read(int address, int quantity) throws Exception {
                int tid = ids.getAndIncrement() & 0xFFFF;
                byte[] answer;
                try (DeviceConnection c = f.getConnection()) {
                    answer = c.request(ModbusRegisters.readHoldingRegisters(tid, UNIT, address, quantity), TIMEOUT);
                }
                return checkedRegisters(answer, tid, quantity);
            }

            @Override
            public void close() {
                f.close();
            }
        };
    }

    /** digitalpetri's Netty client ({@code com.digitalpetri.modbus:modbus-tcp}): pipelines on one connection. */
    static Client digitalpetri(String host, int port) throws Exception {
        NettyTcpClientTransport transport = NettyTcpClientTransport.create(cfg -> {
            cfg.hostname = host;
            cfg.port = port;
        });
        ModbusTcpClient client = ModbusTcpClient.create(transport);
        client.connect();
        return new Client() {
            @Override
            public String name() {
                return "digitalpetri modbus-tcp 2.1.3";
            }

            @Override
            public int[] read(int address, int quantity) throws Exception {
                ReadHoldingRegistersResponse r = client.readHoldingRegisters(UNIT,
                        new ReadHoldingRegistersRequest(address, quantity));
                byte[] b = r.registers();
                if (b.length != 2 * quantity) {
                    throw new WrongAnswer(b.length + " register bytes for a read of " + quantity + " registers");
                }
                int[] v = new int[quantity];
                for (int i = 0; i < quantity; i++) {
                    v[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
                }
                return v;
            }

            @Override
            public void close() throws Exception {
                client.disconnect();
            }
        };
    }

    /** The register values of a whole MBAP answer to read-holding-registers {@code tid}, checked field by field. */
    static int[] checkedRegisters(byte[] answer, int tid, int quantity) throws WrongAnswer {
        if (answer.length >= 9 && (answer[7] & 0x80) != 0) {
            throw new WrongAnswer("Modbus exception " + (answer[8] & 0xFF) + " (tid " + tid + ")");
        }
        int expectedLength = 9 + 2 * quantity;
        if (answer.length != expectedLength) {
            throw new WrongAnswer(answer.length + " bytes, expected " + expectedLength + " (tid " + tid + ")");
        }
        int gotTid = u16(answer, 0);
        if (gotTid != tid || u16(answer, 2) != 0 || u16(answer, 4) != 3 + 2 * quantity || (answer[6] & 0xFF) != UNIT
                || answer[7] != 3 || (answer[8] & 0xFF) != 2 * quantity) {
            throw new WrongAnswer("header " + hex(answer, 9) + " for tid " + tid + ", quantity " + quantity);
        }
        int[] v = new int[quantity];
        for (int i = 0; i < quantity; i++) {
            v[i] = u16(answer, 9 + 2 * i);
        }
        return v;
    }

    /** What one timed or counted run of a client did. */
    record Result(long reads, long registers, long wrong, long failed, double seconds, long[] micros, List<String> examples) {
        boolean clean() {
            return wrong == 0 && failed == 0;
        }

        double perSecond() {
            return reads / seconds;
        }

        /** The {@code p}-th percentile of the read latencies, in microseconds (nearest rank). */
        double percentileMicros(double p) {
            if (micros.length == 0) {
                return Double.NaN;
            }
            return micros[Math.max(0, Math.min(micros.length - 1, (int) Math.ceil(p / 100 * micros.length) - 1))];
        }
    }

    /**
     * {@code threads} threads read {@code quantity} registers at a time through {@code client} for
     * {@code millis}, each thread at addresses of its own (thread t: t*1000 .. t*1000+997), every value
     * checked against {@code expected} (the value register {@code a} holds).
     */
    static Result readFor(Client client, int threads, long millis, int quantity, IntUnaryOperator expected) throws Exception {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        return drive(client, threads, Long.MAX_VALUE, end, i -> quantity, (t, i) -> t * 1000 + (i % (999 - quantity)), expected);
    }

    /**
     * {@code threads} threads do {@code readsPerThread} reads each, with quantities cycling through
     * 1..125 and each thread at addresses of its own within {@code registers} registers.
     */
    static Result readCount(Client client, int threads, int readsPerThread, int registers, IntUnaryOperator expected)
            throws Exception {
        int region = registers / threads;
        if (region < 126) {
            throw new IllegalArgumentException(registers + " registers are too few for " + threads + " threads");
        }
        return drive(client, threads, readsPerThread, Long.MAX_VALUE, i -> 1 + (i * 13) % 125,
                (t, i) -> t * region + (i * 37) % (region - 125), expected);
    }

    private interface Address {
        int of(int thread, int i);
    }

    private static Result drive(Client client, int threads, long readsPerThread, long endNanos, IntUnaryOperator quantityOf,
                                Address addressOf, IntUnaryOperator expected) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong wrong = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong registers = new AtomicLong();
        ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        List<Future<long[]>> workers = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                workers.add(pool.submit(() -> {
                    long[] lat = new long[1 << 14];
                    int n = 0;
                    for (int i = 0; i < readsPerThread && System.nanoTime() < endNanos; i++) {
                        int quantity = quantityOf.applyAsInt(i);
                        int address = addressOf.of(thread, i);
                        long t0 = System.nanoTime();
                        int[] v;
                        try {
                            v = client.read(address, quantity);
                        } catch (WrongAnswer e) {
                            note(wrong, examples, client.name() + ": read " + quantity + " at " + address + ": " + e.getMessage());
                            continue;
                        } catch (Exception e) {
                            note(failed, examples, client.name() + ": read " + quantity + " at " + address + " failed: " + e);
                            continue;
                        }
                        long took = System.nanoTime() - t0;
                        String mismatch = compare(v, address, quantity, expected);
                        if (mismatch != null) {
                            note(wrong, examples, client.name() + ": read " + quantity + " at " + address + ": " + mismatch);
                            continue;
                        }
                        registers.addAndGet(quantity);
                        if (n == lat.length) {
                            lat = Arrays.copyOf(lat, n * 2);
                        }
                        lat[n++] = took / 1_000;
                    }
                    return Arrays.copyOf(lat, n);
                }));
            }
            List<long[]> all = new ArrayList<>();
            for (Future<long[]> f : workers) {
                all.add(f.get());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] micros = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            return new Result(micros.length, registers.get(), wrong.get(), failed.get(), seconds, micros, List.copyOf(examples));
        } finally {
            pool.shutdownNow();
        }
    }

    private static String compare(int[] v, int address, int quantity, IntUnaryOperator expected) {
        if (v.length != quantity) {
            return v.length + " values, expected " + quantity;
        }
        for (int i = 0; i < quantity; i++) {
            int want = expected.applyAsInt(address + i) & 0xFFFF;
            if (v[i] != want) {
                return "register " + (address + i) + " = " + v[i] + ", expected " + want;
            }
        }
        return null;
    }

    private static void note(AtomicLong counter, ConcurrentLinkedQueue<String> examples, String what) {
        if (counter.incrementAndGet() <= MAX_EXAMPLES) {
            examples.add(what);
        }
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    static String hex(byte[] b, int max) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, max); i++) {
            s.append(String.format("%02x", b[i] & 0xFF));
        }
        return s.toString();
    }
}
