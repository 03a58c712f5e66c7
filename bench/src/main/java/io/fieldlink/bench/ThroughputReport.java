package io.fieldlink.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The three tables of the "Throughput" issue, in one run, as markdown on standard output, preceded by
 * the machine's facts and the exact settings:
 * <ol>
 *   <li>loopback echo, 1/8/32 threads: raw persistent socket, FieldLink, Commons Pool2,
 *       connect-per-request ({@link RequestResponseBench}, JMH, throughput then sample time);</li>
 *   <li>a Modbus TCP gateway answering 2 ms after each request on ONE connection, 1/8/32 threads:
 *       FieldLink pipelined, FieldLink one at a time, digitalpetri ({@link ModbusGatewayHarness});</li>
 *   <li>FieldLink's overhead per request over the raw socket, p50 and p99, from table 1's latencies;</li>
 * </ol>
 * then a correctness check against j2mod's Modbus TCP slave ({@link J2modCheck}). Every Modbus
 * answer is checked by content; a wrong answer, a failed read, a gateway connection beyond the one
 * allowed or a missing j2mod answer is listed at the end and the run exits with status 1.
 *
 * <pre>
 * mvn -B -q -DskipTests package -pl bench -am          # from the repository root
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ThroughputReport | tee throughput.md   # full, about 8 min
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ThroughputReport quick                 # a check, about 2 min
 * </pre>
 *
 * Optional second argument {@code sizes=64,1024}: table 1's frame payloads (default 64). JMH's own
 * output goes to log files in the directory named in the settings; progress goes to standard error.
 */
public final class ThroughputReport {

    private static final int[] THREADS = {1, 8, 32};
    private static final String[] VARIANTS = {"rawPersistentSocket", "fieldlink", "commonsPool2", "connectPerRequest"};

    private ThroughputReport() {
    }

    /** How long everything runs. */
    record Settings(String name, int jmhWarmups, int jmhWarmupSeconds, int jmhMeasurements, int jmhMeasurementSeconds,
                    long modbusWarmupMs, long modbusMeasureMs, int j2modReadsPerThread, int j2modBursts, String[] sizes) {

        static Settings of(String mode, String[] sizes) {
            return switch (mode) {
                case "quick" -> new Settings("quick", 1, 1, 1, 1, 500, 1_500, 100, 5, sizes);
                case "full" -> new Settings("full", 2, 1, 5, 2, 3_000, 10_000, 1_000, 50, sizes);
                default -> throw new IllegalArgumentException("mode must be quick or full: " + mode);
            };
        }

        int jmhCellSeconds() {
            return jmhWarmups * jmhWarmupSeconds + jmhMeasurements * jmhMeasurementSeconds;
        }

        /** A rough forecast: JMH cells plus about 2 s of fork and set-up each, table 2's cells, the j2mod check. */
        long expectedSeconds() {
            long jmh = (long) THREADS.length * 2 * VARIANTS.length * sizes.length * (jmhCellSeconds() + 2);
            long modbus = THREADS.length * 3L * (modbusWarmupMs + modbusMeasureMs) / 1000;
            return jmh + modbus + 10;
        }
    }

    public static void main(String[] args) throws Exception {
        String[] sizes = {"64"};
        for (int i = 1; i < args.length; i++) {
            if (args[i].startsWith("sizes=")) {
                sizes = args[i].substring("sizes=".length()).split(",");
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: [quick|full] [sizes=64,1024])");
            }
        }
        Settings s = Settings.of(args.length > 0 ? args[0] : "full", sizes);
        long started = System.nanoTime();
        Path jmhLogs = Files.createTempDirectory("fieldlink-jmh-");
        StringBuilder out = new StringBuilder();
        out.append("## Throughput report (").append(s.name()).append(" mode)\n\n");
        out.append(machine());
        out.append(settings(s, jmhLogs));
        System.out.print(out); // the facts first, in case the run is stopped halfway
        System.out.flush();

        // table 1: throughput, then sample time, per thread count
        Map<String, double[]> throughput = new HashMap<>(); // size/threads/variant -> [score, error]
        Map<String, double[]> latency = new HashMap<>();    // -> [p50 us, p99 us, samples]
        for (int t : THREADS) {
            ModbusGatewayHarness.progress("table 1: " + t + " threads, throughput");
            for (RunResult r : jmh(Mode.Throughput, t, s, jmhLogs)) {
                throughput.put(key(r, t), new double[] {r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()});
            }
            ModbusGatewayHarness.progress("table 1: " + t + " threads, sample time");
            for (RunResult r : jmh(Mode.SampleTime, t, s, jmhLogs)) {
                var stats = r.getPrimaryResult().getStatistics();
                latency.put(key(r, t), new double[] {stats.getPercentile(50), stats.getPercentile(99), stats.getN()});
            }
        }
        String table1 = table1(throughput, latency, s);
        String table3 = table3(latency, s);
        System.out.print(table1);
        System.out.flush();

        List<ModbusGatewayHarness.Cell> cells = ModbusGatewayHarness.run(THREADS, s.modbusWarmupMs(), s.modbusMeasureMs());
        String table2 = ModbusGatewayHarness.table(cells, s.modbusMeasureMs()) + ModbusGatewayHarness.ratios(cells);
        System.out.print(table2);
        System.out.print(table3);
        System.out.flush();

        List<J2modCheck.Row> j2mod = J2modCheck.run(s.j2modReadsPerThread(), s.j2modBursts());
        System.out.print(J2modCheck.table(j2mod));

        List<String> problems = new ArrayList<>(ModbusGatewayHarness.problems(cells));
        problems.addAll(J2modCheck.problems(j2mod));
        System.out.printf(Locale.ROOT, "%nRun took %.1f min; load average at the end: %s%n",
                (System.nanoTime() - started) / 60e9, loadAverage());
        if (problems.isEmpty()) {
            System.out.println("All Modbus answers checked by content: 0 wrong, 0 failed.");
            System.exit(0);
        }
        System.out.println("\n**FAILED: " + problems.stream().filter(p -> !p.startsWith(" ")).count()
                + " cell(s) with wrong answers, failed reads or extra connections:**\n");
        problems.forEach(System.out::println);
        System.out.flush();
        System.err.println("ThroughputReport FAILED: see the end of the report");
        System.exit(1);
    }

    private static Collection<RunResult> jmh(Mode mode, int threads, Settings s, Path logs) throws Exception {
        Path log = logs.resolve(mode.shortLabel() + "-" + threads + "-threads.log"); // JMH overwrites its output file
        OptionsBuilder o = new OptionsBuilder();
        o.include(ThroughputReport.class.getPackageName() + "." + RequestResponseBench.class.getSimpleName() + "\\.")
                .param("size", s.sizes())
                .mode(mode).timeUnit(mode == Mode.Throughput ? TimeUnit.MILLISECONDS : TimeUnit.MICROSECONDS)
                .threads(threads).forks(1)
                .warmupIterations(s.jmhWarmups()).warmupTime(TimeValue.seconds(s.jmhWarmupSeconds()))
                .measurementIterations(s.jmhMeasurements()).measurementTime(TimeValue.seconds(s.jmhMeasurementSeconds()))
                .jvmArgsAppend("-Xmx1g", "-Djava.util.logging.config.file=/dev/null")
                .output(log.toString())
                .shouldFailOnError(true);
        Collection<RunResult> results = new Runner(o.build()).run();
        if (results.size() != VARIANTS.length * s.sizes().length) {
            throw new IllegalStateException("JMH gave " + results.size() + " results instead of "
                    + VARIANTS.length * s.sizes().length + ": see " + log);
        }
        return results;
    }

    private static String key(RunResult r, int threads) {
        return r.getParams().getParam("size") + "/" + threads + "/" + r.getPrimaryResult().getLabel();
    }

    private static double[] get(Map<String, double[]> m, String size, int t, String variant) {
        return m.getOrDefault(size + "/" + t + "/" + variant, new double[] {Double.NaN, Double.NaN, Double.NaN});
    }

    static String table1(Map<String, double[]> throughput, Map<String, double[]> latency, Settings s) {
        StringBuilder out = new StringBuilder();
        out.append("\n### 1. Loopback echo: throughput (ops/ms, higher is better) and latency (us)\n\n");
        out.append("| frame | threads | raw socket | FieldLink | Commons Pool2 | connect per request | FieldLink / raw "
                + "| FieldLink / connect-per-request | p50 raw | p50 FieldLink | p99 raw | p99 FieldLink |\n");
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String size : s.sizes()) {
            for (int t : THREADS) {
                double[] raw = get(throughput, size, t, "rawPersistentSocket");
                double[] fl = get(throughput, size, t, "fieldlink");
                double[] p2 = get(throughput, size, t, "commonsPool2");
                double[] cpr = get(throughput, size, t, "connectPerRequest");
                double[] lr = get(latency, size, t, "rawPersistentSocket");
                double[] lf = get(latency, size, t, "fieldlink");
                out.append(String.format(Locale.ROOT, "| %s B | %d | %s | %s | %s | %s | %.2fx | %.1fx | %.1f | %.1f | %.1f | %.1f |%n",
                        size, t, score(raw), score(fl), score(p2), score(cpr), fl[0] / raw[0], fl[0] / cpr[0],
                        lr[0], lf[0], lr[1], lf[1]));
            }
        }
        return out.toString();
    }

    /** A score with JMH's 99.9 % error where it has one (it needs at least two measurement iterations). */
    private static String score(double[] v) {
        return Double.isNaN(v[1]) ? String.format(Locale.ROOT, "%.1f", v[0])
                : String.format(Locale.ROOT, "%.1f ± %.1f", v[0], v[1]);
    }

    static String table3(Map<String, double[]> latency, Settings s) {
        StringBuilder out = new StringBuilder();
        out.append("\n### 3. FieldLink's overhead per request over the raw socket (us, from table 1's sample-time percentiles)\n\n");
        out.append("| frame | threads | p50 raw | p50 FieldLink | **p50 overhead** | p99 raw | p99 FieldLink | **p99 overhead** "
                + "| samples raw / FieldLink |\n|---|---|---|---|---|---|---|---|---|\n");
        for (String size : s.sizes()) {
            for (int t : THREADS) {
                double[] lr = get(latency, size, t, "rawPersistentSocket");
                double[] lf = get(latency, size, t, "fieldlink");
                out.append(String.format(Locale.ROOT, "| %s B | %d | %.1f | %.1f | **%.1f** | %.1f | %.1f | **%.1f** | %.0f / %.0f |%n",
                        size, t, lr[0], lf[0], lf[0] - lr[0], lr[1], lf[1], lf[1] - lr[1], lr[2], lf[2]));
            }
        }
        out.append("\nAt 8 and 32 threads on this machine's cores, both latencies include waiting for a core, so the "
                + "difference is the overhead plus its share of that queueing.\n");
        return out.toString();
    }

    private static String machine() {
        StringBuilder m = new StringBuilder("### Machine\n\n");
        m.append("| fact | value |\n|---|---|\n");
        m.append("| date | ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append(" |\n");
        m.append("| nproc | ").append(command("nproc")).append(" (JVM sees ")
                .append(Runtime.getRuntime().availableProcessors()).append(") |\n");
        m.append("| CPU | ").append(firstValue("/proc/cpuinfo", "model name")).append(" |\n");
        m.append("| memory | ").append(firstValue("/proc/meminfo", "MemTotal")).append(" |\n");
        m.append("| OS / kernel | ").append(osRelease()).append(" / ").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.version")).append(' ').append(System.getProperty("os.arch")).append(" |\n");
        m.append("| JVM | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
                .append(" (").append(System.getProperty("java.vm.vendor")).append(") |\n");
        m.append("| Netty | ").append(nettyVersion()).append(", epoll ")
                .append(io.netty.channel.epoll.Epoll.isAvailable() ? "available" : "not available").append(" |\n");
        String changes = command("git", "status", "--porcelain", "--untracked-files=no");
        m.append("| commit | ").append(command("git", "rev-parse", "--short", "HEAD"))
                .append(changes.isEmpty() || changes.equals("unknown") ? "" : " (with local changes)").append(" |\n");
        m.append("| load average at the start | ").append(loadAverage()).append(" |\n");
        return m.toString();
    }

    private static String settings(Settings s, Path jmhLogs) {
        return String.format(Locale.ROOT, """

                ### Settings (%s mode)

                * table 1: JMH 1.37, `RequestResponseBench`, payload %s B, 1 fork per cell, %d x %d s warm-up, \
                %d x %d s measurement (%d s per cell), throughput (ops/ms) then sample time (us), threads %s; \
                FieldLink `maxConnectionsPerDevice=64`; JMH logs: `%s/`
                * table 2: `ModbusGatewayHarness`, simulator with `ModbusRegisters`, answer %d ms after each request, \
                client limit 1 connection (more are closed), a fresh client per cell, %.1f s warm-up + %.1f s \
                measured per cell, reads of 2 registers, every answer checked (values = addresses; FieldLink: \
                transaction id, unit, function, length too); FieldLink `maxConnectionsPerDevice=1`, correlation on the \
                MBAP transaction id, pipelined = `maxInFlightPerConnection=%d`, one at a time = `maxInFlightPerConnection=1`
                * table 3: FieldLink minus raw socket, from table 1's sample-time p50 and p99
                * j2mod check: %d threads x %d reads of 1..125 registers per client, then %d writes of %d pipelined requests \
                on a raw socket
                * expected duration: about %.0f min%s

                """, s.name(), String.join(", ", s.sizes()), s.jmhWarmups(), s.jmhWarmupSeconds(), s.jmhMeasurements(),
                s.jmhMeasurementSeconds(), s.jmhCellSeconds(), Arrays.toString(THREADS), jmhLogs,
                ModbusGatewayHarness.ANSWER_DELAY_MS, s.modbusWarmupMs() / 1000.0, s.modbusMeasureMs() / 1000.0,
                ModbusGatewayHarness.PIPELINED_IN_FLIGHT, J2modCheck.THREADS, s.j2modReadsPerThread(), s.j2modBursts(),
                J2modCheck.BURST, s.expectedSeconds() / 60.0, s.name().equals("quick")
                        ? "\n* quick mode checks that everything runs and every answer is right; its numbers are not results "
                        + "(1 s of warm-up is too short for the JIT)" : "");
    }

    private static String nettyVersion() {
        var v = io.netty.util.Version.identify().get("netty-transport");
        return v == null ? "Netty (version unknown)" : v.artifactVersion();
    }

    private static String osRelease() {
        String pretty = firstValue("/etc/os-release", "PRETTY_NAME");
        return pretty.replace("=", "").replace("\"", "").trim();
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The value after the first line starting with {@code key} ("key : value" or "key=value"). */
    private static String firstValue(String file, String key) {
        try {
            for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                if (line.startsWith(key)) {
                    String rest = line.substring(key.length()).trim();
                    return rest.startsWith(":") ? rest.substring(1).trim() : rest;
                }
            }
        } catch (IOException e) {
            // below
        }
        return "unknown";
    }

    private static String command(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
