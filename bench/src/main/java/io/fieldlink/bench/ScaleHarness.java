package io.fieldlink.bench;

import com.sun.management.OperatingSystemMXBean;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.health.DeviceStateChange;
import io.fieldlink.simulator.Nftables;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.spi.FieldLinkResourceAdapter;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Detection, heal and idle cost at scale, with real sockets and a real pulled cable. The devices
 * run in a child process (the device simulator), so that this JVM's threads and heap are
 * FieldLink's alone. Prints markdown tables.
 *
 * <pre>
 * ulimit -n 65536    # 10,000 connections need more than the usual 1,024 descriptors
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ScaleHarness detect 100 10
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ScaleHarness idle 100 100 20
 * </pre>
 * {@code detect DEVICES PER_DEVICE}: pull the cable of every device at once, heal, report.
 * {@code idle DEVICES PER_DEVICE PULLED}: hold DEVICES x PER_DEVICE idle connections, measure
 * threads, heap and CPU, then pull the cable of PULLED devices and report their detection.
 * Needs root and nftables for the pulls.
 */
public final class ScaleHarness {

    private static final int BASE_PORT = 31_000;
    private static final int KEEPALIVE_IDLE = 2;
    private static final int KEEPALIVE_INTERVAL = 1;
    private static final int KEEPALIVE_COUNT = 3;
    private static final long BOUND_MS = 1000L * (KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT);

    private final ConcurrentHashMap<String, Long> droppedAt = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> restoredAt = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> affected = new ConcurrentHashMap<>();

    private ScaleHarness() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "detect";
        int devices = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int perDevice = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int pulled = args.length > 3 ? Integer.parseInt(args[3]) : devices;
        new ScaleHarness().run(mode, devices, perDevice, pulled);
    }

    private void run(String mode, int devices, int perDevice, int pulled) throws Exception {
        Process sim = startDevices(devices);
        FieldLinkResourceAdapter ra = new FieldLinkResourceAdapter();
        ra.setNoticeConnectionFactory("none");
        ra.setNoticeTopic("none");
        ra.addDeviceStateListener(c -> {
            if (c.initial()) {
                return; // each device's first verdict after start is no drop and no heal
            }
            long now = System.nanoTime();
            if (c.kind() == DeviceStateChange.Kind.DROPPED) {
                droppedAt.putIfAbsent(c.deviceId(), now);
                affected.put(c.deviceId(), c.connectionsAffected());
            } else {
                restoredAt.putIfAbsent(c.deviceId(), now);
            }
        });
        ra.start(null);
        DeviceConnectionFactoryImpl pool = null;
        Nftables cable = new Nftables("fl_bench_" + ProcessHandle.current().pid());
        try {
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            long heapBefore = usedHeapAfterGc(memory);
            pool = openPool(ra, devices, perDevice);
            long t = System.nanoTime();
            fill(pool, devices, perDevice);
            long fillMs = (System.nanoTime() - t) / 1_000_000;
            int open = pool.devices().stream().mapToInt(s -> s.openConnections()).sum();
            System.out.printf(Locale.ROOT, "%n%d connections to %d devices open in %d ms%n", open, devices, fillMs);

            if (mode.equals("idle")) {
                idleCost(memory, heapBefore, open);
            }
            detectAndHeal(cable, devices, pulled, open / devices);
        } finally {
            cable.plugBack();
            if (pool != null) {
                pool.close();
            }
            ra.stop();
            sim.destroy();
            sim.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Process startDevices(int devices) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.fieldlink.simulator.SimulatorMain", "--framing",
                "length:0:2:0"));
        for (int i = 0; i < devices; i++) {
            cmd.add("dev-" + i + "=" + (BASE_PORT + i));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Thread.sleep(2_000 + devices * 10L);
        return p;
    }

    private static DeviceConnectionFactoryImpl openPool(FieldLinkResourceAdapter ra, int devices, int perDevice)
            throws Exception {
        StringBuilder table = new StringBuilder();
        for (int i = 0; i < devices; i++) {
            table.append(i == 0 ? "" : ",").append("dev-").append(i).append("=127.0.0.1:").append(BASE_PORT + i);
        }
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setDevices(table.toString());
        mcf.setFraming("LENGTH_FIELD");
        mcf.setMaxConnectionsPerDevice(perDevice);
        mcf.setKeepAliveIdleSeconds(KEEPALIVE_IDLE);
        mcf.setKeepAliveIntervalSeconds(KEEPALIVE_INTERVAL);
        mcf.setKeepAliveCount(KEEPALIVE_COUNT);
        mcf.setConnectTimeoutMs(1_000);
        mcf.setReconnectInitialDelayMs(500);
        mcf.setReconnectMaxDelayMs(4_000);
        mcf.setResourceAdapter(ra);
        return (DeviceConnectionFactoryImpl) mcf.createConnectionFactory();
    }

    /** Borrows every connection once (so each is opened and used), then returns them all to the pool. */
    private static void fill(DeviceConnectionFactory pool, int devices, int perDevice) throws Exception {
        byte[] frame = EchoDevice.frame(8);
        List<Thread> workers = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(devices);
        for (int d = 0; d < devices; d++) {
            String id = "dev-" + d;
            Thread w = new Thread(() -> {
                List<DeviceConnection> held = new ArrayList<>();
                try {
                    for (int i = 0; i < perDevice; i++) {
                        DeviceConnection c = pool.getConnection(id);
                        c.request(frame, java.time.Duration.ofSeconds(10));
                        held.add(c);
                    }
                } catch (Exception e) {
                    System.err.println(id + ": " + e);
                } finally {
                    held.forEach(DeviceConnection::close);
                    done.countDown();
                }
            });
            workers.add(w);
            w.start();
            if (workers.size() % 16 == 0) {
                Thread.sleep(20); // do not storm the simulator's accept queue
            }
        }
        done.await();
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    private void idleCost(MemoryMXBean memory, long heapBefore, int open) throws InterruptedException {
        long heapAfter = usedHeapAfterGc(memory);
        List<String> threads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("fieldlink")).sorted().toList();
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        Thread.sleep(30_000);
        double cpuPct = 100.0 * (os.getProcessCpuTime() - cpu0) / (System.nanoTime() - wall0);
        System.out.printf(Locale.ROOT, "%n| idle cost, %d connections | value |%n|---|---|%n", open);
        System.out.printf(Locale.ROOT, "| adapter threads | %d %s |%n", threads.size(), threads);
        System.out.printf(Locale.ROOT, "| heap per connection after GC | %.2f KiB (%.1f MiB for all) |%n",
                (heapAfter - heapBefore) / 1024.0 / open, (heapAfter - heapBefore) / 1024.0 / 1024.0);
        System.out.printf(Locale.ROOT, "| process CPU at idle, 30 s (keepalive in the kernel) | %.2f %% of one core |%n", cpuPct);
    }

    private void detectAndHeal(Nftables cable, int devices, int pulled, int perDevice) throws Exception {
        long pulledAt = System.nanoTime();
        cable.pullRange(BASE_PORT, BASE_PORT + pulled - 1);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MS + 10_000);
        while (droppedAt.size() < pulled && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long[] detect = droppedAt.values().stream().mapToLong(n -> (n - pulledAt) / 1_000_000).sorted().toArray();
        int connections = affected.values().stream().mapToInt(Integer::intValue).sum();
        long within = Arrays.stream(detect).filter(ms -> ms <= BOUND_MS + 1_500).count();

        Thread.sleep(3_000); // reconnects back off while the cable is out
        long healedAt = System.nanoTime();
        cable.plugBack();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (restoredAt.size() < pulled && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long[] heal = restoredAt.values().stream().mapToLong(n -> (n - healedAt) / 1_000_000).sorted().toArray();
        int[] per100ms = new int[(int) (heal.length == 0 ? 1 : heal[heal.length - 1] / 100 + 1)];
        for (long h : heal) {
            per100ms[(int) (h / 100)]++;
        }
        int peak = Arrays.stream(per100ms).max().orElse(0);

        System.out.printf(Locale.ROOT, "%n| %d devices x %d connections, cable pulled on %d devices, keepalive %d/%d/%d "
                + "(bound %d ms) | value |%n|---|---|%n", devices, perDevice, pulled, KEEPALIVE_IDLE, KEEPALIVE_INTERVAL,
                KEEPALIVE_COUNT, BOUND_MS);
        System.out.printf(Locale.ROOT, "| devices detected DOWN | %d of %d (%d connections closed) |%n", detect.length,
                pulled, connections);
        System.out.printf(Locale.ROOT, "| detection min / median / p99 / max | %s |%n", dist(detect));
        System.out.printf(Locale.ROOT, "| within bound + 1.5 s | %d of %d |%n", within, pulled);
        System.out.printf(Locale.ROOT, "| devices UP after the heal | %d of %d |%n", heal.length, pulled);
        System.out.printf(Locale.ROOT, "| time to UP min / median / p99 / max | %s |%n", dist(heal));
        System.out.printf(Locale.ROOT, "| reconnects per 100 ms after the heal (peak %d) | %s |%n", peak,
                Arrays.toString(per100ms));
    }

    private static String dist(long[] sorted) {
        if (sorted.length == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%d / %d / %d / %d ms", sorted[0], sorted[sorted.length / 2],
                sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)], sorted[sorted.length - 1]);
    }
}
