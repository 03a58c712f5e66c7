package io.fieldlink.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "Under load" scenario against the running demo (Payara Micro, three simulated devices, cap 2,
 * container pool max 16): N concurrent HTTP callers post requests to {@code /api/devices/{id}/request}
 * for a fixed time while one device's cable is pulled (the simulator's nftables switch) for the
 * middle third; every answer is checked by content. Prints the table of docs/performance.md.
 *
 * <pre>
 * bash src/demo/run.sh                                         # as root, in another terminal
 * mvn -B -q -DskipTests package -pl bench -am
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.DemoLoadHarness \
 *      [http://127.0.0.1:8080] [http://127.0.0.1:15099] [callers=32] [seconds=30] [payaraPid]
 * </pre>
 */
public final class DemoLoadHarness {

    private static final Pattern DEVICE = Pattern.compile("\"deviceId\":\"([^\"]+)\"[^}]*?\"state\":\"([A-Z]+)\"");
    private static final Pattern TEXT = Pattern.compile("\"text\":\"((?:[^\"\\\\]|\\\\.)*)\"");

    private record Outcome(String device, int status, boolean own, long startNanos, long micros, String error) {
    }

    private DemoLoadHarness() {
    }

    public static void main(String[] args) throws Exception {
        String base = args.length > 0 ? args[0] : "http://127.0.0.1:8080";
        String control = args.length > 1 ? args[1] : "http://127.0.0.1:15099";
        int callers = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        String pid = args.length > 4 ? args[4] : null;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newFixedThreadPool(8)).build();
        List<String> ids = new ArrayList<>();
        Matcher m = DEVICE.matcher(get(http, base + "/api/devices"));
        while (m.find()) {
            ids.add(m.group(1));
        }
        String pulled = ids.get(0);
        String threadsBefore = threads(http, base);
        String rssBefore = rss(pid);

        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        for (int c = 0; c < callers; c++) {
            int caller = c;
            pool.submit(() -> {
                for (int i = 0; System.nanoTime() < end; i++) {
                    String id = ids.get((caller + i) % ids.size());
                    String text = "caller " + caller + " request " + i + " to " + id;
                    long t = System.nanoTime();
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/devices/" + id
                                + "/request")).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                                .header("X-FieldLink-Request", "1") // the sample refuses POSTs without it
                                .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}")).build(),
                                HttpResponse.BodyHandlers.ofString());
                        Matcher tm = TEXT.matcher(r.body());
                        boolean own = r.statusCode() == 200 && tm.find() && tm.group(1).equals(text);
                        outcomes.add(new Outcome(id, r.statusCode(), own, t, (System.nanoTime() - t) / 1_000,
                                r.statusCode() == 200 ? null : r.body()));
                    } catch (Exception e) {
                        outcomes.add(new Outcome(id, -1, false, t, (System.nanoTime() - t) / 1_000, e.toString()));
                    }
                }
                return null;
            });
        }
        long third = TimeUnit.SECONDS.toNanos(seconds) / 3;
        sleepUntil(start + third);
        long pulledAt = System.nanoTime();
        post(http, control + "/devices/" + pulled + "/drop");
        sleepUntil(start + 2 * third);
        post(http, control + "/devices/" + pulled + "/heal");
        long upAgain = Long.MAX_VALUE;
        while (System.nanoTime() < end + TimeUnit.SECONDS.toNanos(10)) {
            Matcher s = DEVICE.matcher(get(http, base + "/api/devices"));
            boolean up = false;
            while (s.find()) {
                up |= s.group(1).equals(pulled) && s.group(2).equals("UP");
            }
            if (up) {
                upAgain = System.nanoTime();
                break;
            }
            Thread.sleep(20);
        }
        pool.shutdown();
        pool.awaitTermination(2, TimeUnit.MINUTES);
        double secs = (System.nanoTime() - start) / 1e9;
        long healedAt = upAgain;

        List<Outcome> all = List.copyOf(outcomes);
        List<Outcome> healthy = all.stream().filter(o -> !o.device().equals(pulled) || o.startNanos() < pulledAt
                || o.startNanos() > healedAt).toList();
        List<Outcome> outage = all.stream().filter(o -> o.device().equals(pulled) && o.startNanos() >= pulledAt
                && o.startNanos() <= healedAt).toList();
        long refused = healthy.stream().filter(o -> o.status() != 200).count();
        long wrong = all.stream().filter(o -> o.status() == 200 && !o.own()).count();
        long[] ok = all.stream().filter(o -> o.status() == 200).mapToLong(Outcome::micros).sorted().toArray();
        long failFast = outage.stream().filter(o -> o.status() == 503).count();
        long slowestFailFast = outage.stream().filter(o -> o.status() == 503).mapToLong(Outcome::micros).max().orElse(0);
        Map<Integer, Long> healthyErrors = new TreeMap<>();
        healthy.stream().filter(o -> o.status() != 200).forEach(o -> healthyErrors.merge(o.status(), 1L, Long::sum));
        String firstError = healthy.stream().filter(o -> o.error() != null).map(Outcome::error).findFirst().orElse("-");

        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "| %d callers, %d s, devices %s, %s's cable pulled from %d s to %d s | figure |%n",
                callers, seconds, ids, pulled, seconds / 3, 2 * seconds / 3));
        t.append("|---|---|\n");
        t.append(String.format(Locale.ROOT, "| requests | %d (%.0f/s) |%n", all.size(), all.size() / secs));
        t.append(String.format(Locale.ROOT, "| refused or failed for HEALTHY devices | %d (%.1f %%) %s |%n", refused,
                100.0 * refused / Math.max(1, healthy.size()), healthyErrors));
        t.append("| first such error | " + firstError.replace('|', '/') + " |\n");
        t.append("| wrong answers (checked by content) | " + wrong + " |\n");
        t.append(String.format(Locale.ROOT, "| p50 / p99 / max latency of the successful ones | %.1f / %.1f / %.1f ms |%n",
                ok[ok.length / 2] / 1e3, ok[(int) (ok.length * 0.99)] / 1e3, ok[ok.length - 1] / 1e3));
        t.append(String.format(Locale.ROOT, "| pulled device: fail-fast 503s, slowest | %d, %.1f ms |%n", failFast,
                slowestFailFast / 1e3));
        t.append("| Payara threads / RSS | " + threadsBefore + " -> " + threads(http, base) + ", " + rssBefore + " -> "
                + rss(pid) + " |\n");
        System.out.print(t);
        Files.writeString(Path.of("demo-load-results.md"), t);
        System.exit(0);
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static String get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** A simulator switch; fails loudly if the control port refuses it (a drop that never happened). */
    private static void post(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("X-FieldLink-Request", "1") // the control port refuses POSTs without it
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("POST " + url + " -> " + r.statusCode() + " " + r.body());
        }
    }

    private static String threads(HttpClient http, String base) {
        try {
            Matcher m = Pattern.compile("\"liveThreads\":(\\d+)").matcher(get(http, base + "/api/diagnostics"));
            return m.find() ? m.group(1) : "n/a";
        } catch (Exception e) {
            return "n/a";
        }
    }

    private static String rss(String pid) {
        if (pid == null) {
            return "n/a";
        }
        try {
            return Files.readAllLines(Path.of("/proc", pid, "status")).stream().filter(l -> l.startsWith("VmRSS"))
                    .map(l -> l.replaceAll("\\D+", "") + " kB").findFirst().orElse("n/a");
        } catch (Exception e) {
            return "n/a";
        }
    }
}
