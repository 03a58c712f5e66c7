package io.fieldlink.sample;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's Chromium, headless, one short-lived process per page load: it loads a URL, lets the
 * page's scripts run for a budget of virtual time, then prints the rendered DOM or writes a
 * screenshot and exits. Each run gets a fresh profile directory (deleted afterwards), no sandbox
 * (it runs as root in CI), nothing in the background (no updates, no sync, no QUIC), and a hard
 * time limit after which the process and its children are killed.
 *
 * <pre>{@code
 * if (HeadlessChromium.unavailableReason() == null) {
 *     HeadlessChromium.Run page = HeadlessChromium.dumpDom(URI.create("http://127.0.0.1:8080/"), 3_000);
 *     assertThat(page.stdout()).contains("data-state=\"UP\"");
 * }
 * }</pre>
 */
final class HeadlessChromium {

    /** Wall-clock limit of one run: a page load that takes longer is a failure, not a hang. */
    static final long RUN_LIMIT_MS = 60_000;
    private static final List<String> NAMES = List.of("chromium", "chromium-browser");

    private HeadlessChromium() {
    }

    /** What one run printed, and how long it took from start to exit. */
    record Run(String stdout, String stderr, long wallMillis) {
        /** The page's console messages and errors that Chromium logged (CSP refusals, uncaught errors). */
        List<String> consoleLines() {
            return stderr.lines().filter(l -> l.contains("CONSOLE") || l.contains("Refused to")
                    || l.contains("Uncaught")).toList();
        }
    }

    /** {@code null} if a Chromium is on the PATH, else why not. */
    static String unavailableReason() {
        return executable() == null ? "no chromium on the PATH (apt-get install -y chromium)" : null;
    }

    private static Path executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : NAMES) {
                Path p = Path.of(dir, name);
                if (!dir.isEmpty() && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** Loads {@code url}, runs its scripts for {@code budgetMs} of virtual time, returns the DOM as HTML on stdout. */
    static Run dumpDom(URI url, long budgetMs) throws IOException, InterruptedException {
        return run(url, budgetMs, List.of("--dump-dom"));
    }

    /** The same, and writes a PNG of a {@code width} x {@code height} window to {@code png}. */
    static Run screenshot(URI url, long budgetMs, Path png, int width, int height)
            throws IOException, InterruptedException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.deleteIfExists(png);
        return run(url, budgetMs, List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height,
                "--hide-scrollbars"));
    }

    private static Run run(URI url, long budgetMs, List<String> what) throws IOException, InterruptedException {
        Path chromium = executable();
        if (chromium == null) {
            throw new IllegalStateException(unavailableReason());
        }
        Path profile = Files.createTempDirectory("fieldlink-chromium-");
        Path out = profile.resolveSibling(profile.getFileName() + ".out");
        Path err = profile.resolveSibling(profile.getFileName() + ".err");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + profile, "--virtual-time-budget=" + budgetMs));
        cmd.addAll(what);
        cmd.add(url.toString());
        long start = System.nanoTime();
        // output to files, not pipes: a full pipe would stall the browser
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(RUN_LIMIT_MS, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("chromium did not exit within " + RUN_LIMIT_MS + " ms: " + String.join(" ", cmd)
                        + "\n" + tail(err));
            }
            long wall = (System.nanoTime() - start) / 1_000_000;
            Run run = new Run(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), wall);
            if (p.exitValue() != 0) {
                throw new AssertionError("chromium exited with " + p.exitValue() + ": " + String.join(" ", cmd)
                        + "\n" + tail(err));
            }
            return run;
        } finally {
            stop(p, profile);
            deleteTree(profile);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Ends the browser and every process it started (renderer, zygote, GPU), if any is still there:
     * its own descendants, and any process that names this run's fresh profile directory (a child
     * that outlived its parent is no longer its descendant, but still carries the directory).
     */
    private static void stop(Process p, Path profile) throws InterruptedException {
        List<ProcessHandle> ours = new ArrayList<>(p.descendants().toList());
        String marker = "--user-data-dir=" + profile;
        ProcessHandle.allProcesses().filter(h -> h.info().arguments().map(a -> List.of(a).contains(marker)).orElse(false))
                .filter(h -> !ours.contains(h)).forEach(ours::add);
        ours.forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle h : ours) {
            h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
        }
    }

    private static String tail(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
