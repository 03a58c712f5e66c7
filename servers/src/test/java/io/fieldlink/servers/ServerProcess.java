package io.fieldlink.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An application server started by a test through its own start script, its output in a log file.
 * {@link #close()} stops it by its own process handles (the script and the JVM it started), never
 * by name. {@link #threadsNamed(String)} reads the server JVM's live threads with {@code jcmd}, so
 * it works while no application is deployed.
 */
final class ServerProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private ServerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static ServerProcess start(String name, Path log, Map<String, String> env, List<String> command)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new ServerProcess(name, pb.start(), log);
    }

    String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The server's JVM: the script itself or the java process it started. */
    ProcessHandle jvm() {
        Optional<ProcessHandle> java = process.descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .findFirst();
        return java.orElse(process.toHandle());
    }

    /** Names of the server JVM's live threads that start with {@code prefix}, via jcmd Thread.print. */
    List<String> threadsNamed(String prefix) throws IOException, InterruptedException {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Process jcmd = new ProcessBuilder(javaHome.resolve("bin/jcmd").toString(), String.valueOf(jvm().pid()),
                "Thread.print").redirectErrorStream(true).start();
        String dump = new String(jcmd.getInputStream().readAllBytes());
        if (!jcmd.waitFor(30, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new IllegalStateException("jcmd Thread.print on " + name + " failed: " + dump);
        }
        List<String> names = new ArrayList<>();
        for (String line : dump.split("\n")) {
            if (line.startsWith("\"" + prefix)) {
                names.add(line.substring(1, line.indexOf('"', 1)));
            }
        }
        return names;
    }

    @Override
    public void close() throws InterruptedException {
        // the JVM first: a start script does not always pass SIGTERM on to the java it started
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : all) {
            p.onExit().completeOnTimeout(p, 30, TimeUnit.SECONDS).join();
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (var paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
