package io.fieldlink.testsupport;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Pulls the cable of a loopback device: an nftables table of its own that drops every packet to
 * and from the device's port, so the connection dies silently (no FIN, no RST), as when a cable is
 * pulled or a router dies. Other ports are untouched. {@link #close()} puts the cable back.
 *
 * <p>Needs root (CAP_NET_ADMIN) and {@code nft}. Without them the fault tests are skipped with a
 * message saying so, except under CI ({@code CI=true}), where they must run and fail instead.
 */
public final class CablePuller implements AutoCloseable {

    private final String table;
    private boolean pulled;

    private CablePuller(String table) {
        this.table = table;
    }

    /** A puller for this test, or an aborted test (skip) when nftables cannot be used here. */
    public static CablePuller forTest(String name) {
        String problem = unavailableReason();
        if (problem != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("cable-pull tests must run in CI but cannot: " + problem);
            }
            Assumptions.abort("cable-pull test skipped: " + problem + " (run as root with nftables installed)");
        }
        return new CablePuller("fl_test_" + name + "_" + ProcessHandle.current().pid());
    }

    private static String unavailableReason() {
        try {
            Result r = run(List.of("nft", "list", "tables"));
            return r.exit == 0 ? null : "'nft list tables' failed: " + r.output.trim();
        } catch (IOException e) {
            return "nft is not installed (" + e.getMessage() + ")";
        }
    }

    /** Drops every packet to and from these loopback ports, both directions. */
    public synchronized void pull(int... ports) {
        cleanup();
        exec("add", "table", "inet", table);
        exec("add", "chain", "inet", table, "in", "{ type filter hook input priority -10; policy accept; }");
        for (int port : ports) {
            exec("add", "rule", "inet", table, "in", "tcp", "dport", String.valueOf(port), "drop");
            exec("add", "rule", "inet", table, "in", "tcp", "sport", String.valueOf(port), "drop");
        }
        pulled = true;
    }

    /** Drops every packet to and from a range of loopback ports. */
    public synchronized void pullRange(int fromPort, int toPort) {
        cleanup();
        exec("add", "table", "inet", table);
        exec("add", "chain", "inet", table, "in", "{ type filter hook input priority -10; policy accept; }");
        String range = fromPort + "-" + toPort;
        exec("add", "rule", "inet", table, "in", "tcp", "dport", range, "drop");
        exec("add", "rule", "inet", table, "in", "tcp", "sport", range, "drop");
        pulled = true;
    }

    /** Puts the cable back. */
    public synchronized void plugBack() {
        cleanup();
    }

    private void cleanup() {
        if (pulled) {
            exec("delete", "table", "inet", table);
            pulled = false;
        }
    }

    @Override
    public void close() {
        plugBack();
    }

    private static void exec(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("nft");
        cmd.addAll(List.of(args));
        try {
            Result r = run(cmd);
            if (r.exit != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r.output);
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed", e);
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Result(-1, "interrupted");
        }
    }
}
