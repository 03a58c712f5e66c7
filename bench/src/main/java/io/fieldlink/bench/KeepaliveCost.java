package io.fieldlink.bench;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What keepalive costs on the wire: one idle pooled connection with a 1 s keepalive idle time,
 * its packets counted by an nftables counter for 60 s (a capture without a capture tool), then
 * scaled to the default settings. Needs root and nftables.
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.KeepaliveCost [seconds]
 * </pre>
 */
public final class KeepaliveCost {

    private static final Pattern COUNTER = Pattern.compile("packets (\\d+) bytes (\\d+)");

    private KeepaliveCost() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        String table = "fl_bench_ka_" + ProcessHandle.current().pid();
        try (DeviceSimulator device = EchoDevice.start()) {
            DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
            mcf.setHost("127.0.0.1");
            mcf.setPort(device.port());
            mcf.setFraming("LENGTH_FIELD");
            mcf.setKeepAliveIdleSeconds(1);
            try (DeviceConnectionFactoryImpl pool = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory()) {
                try (DeviceConnection c = pool.getConnection()) {
                    c.request(EchoDevice.frame(8), Duration.ofSeconds(2));
                }
                Thread.sleep(500);
                nft("add", "table", "inet", table);
                nft("add", "chain", "inet", table, "in", "{ type filter hook input priority -10; policy accept; }");
                nft("add", "rule", "inet", table, "in", "tcp", "dport", String.valueOf(device.port()), "counter");
                nft("add", "rule", "inet", table, "in", "tcp", "sport", String.valueOf(device.port()), "counter");
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
                    Matcher m = COUNTER.matcher(nft("list", "table", "inet", table));
                    long[] packets = new long[2];
                    long[] bytes = new long[2];
                    for (int i = 0; i < 2 && m.find(); i++) {
                        packets[i] = Long.parseLong(m.group(1));
                        bytes[i] = Long.parseLong(m.group(2));
                    }
                    report(seconds, packets, bytes);
                } finally {
                    nft("delete", "table", "inet", table);
                }
            }
        }
    }

    private static void report(int seconds, long[] packets, long[] bytes) {
        double probes = packets[0];
        double probeBytes = probes == 0 ? 0 : bytes[0] / probes;
        double ackBytes = packets[1] == 0 ? 0 : (double) bytes[1] / packets[1];
        System.out.printf(Locale.ROOT, "%n| measured over %d s, keepalive idle 1 s, one idle connection | to the device | from the device |%n"
                + "|---|---|---|%n| packets | %d | %d |%n| bytes (IP) | %d | %d |%n| bytes per packet (IP) | %.0f | %.0f |%n",
                seconds, packets[0], packets[1], bytes[0], bytes[1], probeBytes, ackBytes);
        // Linux re-arms the keepalive timer with the interval after each answered probe, so an
        // answered connection is probed every max(idle, interval) seconds.
        double period = probes == 0 ? Double.NaN : (double) seconds / probes;
        System.out.printf(Locale.ROOT, "%nmeasured probe period: %.1f s (idle 1 s, interval 5 s: max(idle, interval) = 5 s)%n",
                period);
        System.out.printf(Locale.ROOT, "%n| keepAliveIdleSeconds / IntervalSeconds | probes per hour | bytes per hour, both directions, IP "
                + "| same on Ethernet (+14 B per frame) |%n|---|---|---|---|%n");
        for (int[] ki : new int[][] {{1, 1}, {10, 5}, {60, 5}, {300, 5}, {7200, 75}}) {
            double perHour = 3600.0 / Math.max(ki[0], ki[1]);
            double ip = perHour * (probeBytes + ackBytes);
            System.out.printf(Locale.ROOT, "| %d / %d%s | %.1f | %.1f kB | %.1f kB |%n", ki[0], ki[1],
                    ki[0] == 10 ? " (FieldLink default)" : ki[0] == 7200 ? " (Linux default)" : "",
                    perHour, ip / 1000, (ip + perHour * 28) / 1000);
        }
    }

    private static String nft(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("nft"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
        return out;
    }
}
