package io.fieldlink.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the request/response and borrow/return benchmarks side by side in one run, at 1, 8 and 32
 * threads, and prints markdown tables with the ratios the targets are stated in. The "Throughput"
 * issue's three tables (echo, Modbus gateway, pool overhead) and the j2mod check come from
 * {@link ThroughputReport} instead, in one run:
 * {@code java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ThroughputReport [quick]}.
 *
 * <pre>
 * mvn -B -q -DskipTests package -pl bench -am
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.BenchMain [quick]
 * </pre>
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = args.length > 0 && args[0].equals("quick");
        int[] threads = {1, 8, 32};
        Map<String, double[]> throughput = new LinkedHashMap<>(); // key size/threads/variant -> [score, error]
        Map<String, double[]> latency = new LinkedHashMap<>();    // -> [p50 us, p99 us]
        for (int t : threads) {
            for (RunResult r : run(RequestResponseBench.class.getSimpleName(), Mode.Throughput, t, quick)) {
                throughput.put(key(r, t), new double[] {r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()});
            }
            for (RunResult r : run(RequestResponseBench.class.getSimpleName(), Mode.SampleTime, t, quick)) {
                var stats = r.getPrimaryResult().getStatistics();
                latency.put(key(r, t), new double[] {stats.getPercentile(50), stats.getPercentile(99)});
            }
        }
        StringBuilder out = new StringBuilder();
        out.append("\n### Request/response throughput (ops/ms, higher is better) and latency (us)\n\n");
        out.append("| frame | threads | raw socket | FieldLink | FieldLink / raw | Commons Pool2 | connect per request "
                + "| FieldLink / connect-per-request | p50 raw | p50 FieldLink | p99 raw | p99 FieldLink |\n");
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String size : List.of("64", "1024")) {
            for (int t : threads) {
                double raw = score(throughput, size, t, "rawPersistentSocket");
                double fl = score(throughput, size, t, "fieldlink");
                double p2 = score(throughput, size, t, "commonsPool2");
                double cpr = score(throughput, size, t, "connectPerRequest");
                double[] lr = latency.getOrDefault(size + "/" + t + "/rawPersistentSocket", new double[2]);
                double[] lf = latency.getOrDefault(size + "/" + t + "/fieldlink", new double[2]);
                out.append(String.format(Locale.ROOT, "| %s B | %d | %.1f ± %.1f | %.1f ± %.1f | %.2fx | %.1f | %.1f | %.1fx "
                                + "| %.1f | %.1f | %.1f | %.1f |%n", size, t, raw, error(throughput, size, t, "rawPersistentSocket"),
                        fl, error(throughput, size, t, "fieldlink"), fl / raw, p2, cpr, fl / cpr, lr[0], lf[0], lr[1], lf[1]));
            }
        }
        out.append("\n### Borrow + return of a handle, no I/O (ops/ms)\n\n| threads | FieldLink standalone pool |\n|---|---|\n");
        for (int t : new int[] {1, 8}) {
            for (RunResult r : run(BorrowReturnBench.class.getSimpleName(), Mode.Throughput, t, quick)) {
                out.append(String.format(Locale.ROOT, "| %d | %.0f ± %.0f |%n", t, r.getPrimaryResult().getScore(),
                        r.getPrimaryResult().getScoreError()));
            }
        }
        System.out.println(out);
    }

    private static Collection<RunResult> run(String bench, Mode mode, int threads, boolean quick) throws Exception {
        ChainedOptionsBuilder o = new OptionsBuilder().include(BenchMain.class.getPackageName() + "." + bench + "\\.")
                .mode(mode).timeUnit(mode == Mode.Throughput ? TimeUnit.MILLISECONDS : TimeUnit.MICROSECONDS)
                .threads(threads).forks(1)
                .warmupIterations(quick ? 1 : 2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 2 : 3).measurementTime(TimeValue.seconds(quick ? 1 : 2))
                .jvmArgsAppend("-Xmx1g", "-Djava.util.logging.config.file=/dev/null")
                .shouldFailOnError(true);
        return new Runner(o.build()).run();
    }

    private static String key(RunResult r, int threads) {
        String label = r.getPrimaryResult().getLabel();
        String size = r.getParams().getParam("size");
        return size + "/" + threads + "/" + label;
    }

    private static double score(Map<String, double[]> m, String size, int t, String variant) {
        double[] v = m.get(size + "/" + t + "/" + variant);
        return v == null ? Double.NaN : v[0];
    }

    private static double error(Map<String, double[]> m, String size, int t, String variant) {
        double[] v = m.get(size + "/" + t + "/" + variant);
        return v == null ? Double.NaN : v[1];
    }
}
