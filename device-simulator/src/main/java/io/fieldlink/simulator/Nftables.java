package io.fieldlink.simulator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A pulled cable for loopback devices: an nftables table of our own whose rules drop every packet
 * to and from chosen ports, both directions, so connections die silently (no FIN, no RST).
 * Traffic on other ports is untouched; {@link #plugBack()} deletes the table.
 *
 * <pre>{@code
 * Nftables cable = new Nftables("fl_demo_plc1");
 * cable.pull(15020);        // silent drop, as root
 * cable.plugBack();
 * }</pre>
 *
 * <p>Needs CAP_NET_ADMIN (root) and the {@code nft} command; {@link #unavailableReason()} says why not.
 */
public final class Nftables {

    private final String table;
    private boolean pulled;

    /** @param table a table name of this owner's own (letters, digits, underscores) */
    public Nftables(String table) {
        this.table = table;
    }

    /** {@code null} if nftables can be used here, else why not. */
    public static String unavailableReason() {
        try {
            Result r = run(List.of("nft", "list", "tables"));
            return r.exit == 0 ? null : "'nft list tables' failed: " + r.output.trim();
        } catch (IOException e) {
            return "nft is not installed (" + e.getMessage() + ")";
        }
    }

    /** Drops every packet to and from these loopback ports. */
    public synchronized void pull(int... ports) {
        List<String> ranges = new ArrayList<>();
        for (int p : ports) {
            ranges.add(String.valueOf(p));
        }
        install(ranges);
    }

    /** Drops every packet to and from a port range. */
    public synchronized void pullRange(int fromPort, int toPort) {
        install(List.of(fromPort + "-" + toPort));
    }

    private void install(List<String> ports) {
        plugBack();
        exec("add", "table", "inet", table);
        exec("add", "chain", "inet", table, "in", "{ type filter hook input priority -10; policy accept; }");
        pulled = true;
        for (String p : ports) {
            exec("add", "rule", "inet", table, "in", "tcp", "dport", p, "drop");
            exec("add", "rule", "inet", table, "in", "tcp", "sport", p, "drop");
        }
    }

    public synchronized boolean isPulled() {
        return pulled;
    }

    /** Puts the cable back (deletes the table); harmless if it is not pulled. */
    public synchronized void plugBack() {
        if (pulled) {
            exec("delete", "table", "inet", table);
            pulled = false;
        }
    }

    private static void exec(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("nft");
        cmd.addAll(List.of(args));
        try {
            Result r = run(cmd);
            if (r.exit != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r.output.trim());
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
