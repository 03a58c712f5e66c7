package io.fieldlink.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Payara Micro started by a test (for what Arquillian's one-deployment-per-server model cannot
 * express: boot-time config errors, undeploy/redeploy), with a fresh root directory and its
 * output in a log file. {@link #close()} stops it by its own process handle.
 */
final class PayaraMicroProcess implements AutoCloseable {

    /** The distribution's pre-boot commands (src/payara/), relative to this module. */
    static final Path PRE_BOOT = Path.of("..", "src", "payara", "pre-boot.asadmin").toAbsolutePath().normalize();

    private final Process process;
    private final Path log;

    private PayaraMicroProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Boots target/it/payara-micro.jar with {@code name}.asadmin as post-boot file. */
    static PayaraMicroProcess start(String name, String... options) throws IOException {
        Path dir = Path.of(System.getProperty("it.dir", "target/it"));
        Path root = dir.resolve(name + "-root");
        deleteTree(root); // a fresh server: no deployments left from an earlier run
        // HTTP on loopback only, as in the demo (the distribution's pre-boot file)
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", dir.resolve("payara-micro.jar").toString(),
                "--nocluster", "--rootdir", root.toString(), "--prebootcommandfile", PRE_BOOT.toString(),
                "--postbootcommandfile", dir.resolve(name + ".asadmin").toString()));
        cmd.addAll(List.of(options));
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new PayaraMicroProcess(p, log);
    }

    Path log() {
        return log;
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (var paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
