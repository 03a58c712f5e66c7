package io.fieldlink.testsupport;

import io.fieldlink.simulator.Nftables;
import org.junit.jupiter.api.Assumptions;

/**
 * Pulls the cable of loopback devices in a test ({@link Nftables} underneath). {@link #close()}
 * puts the cable back.
 *
 * <p>Needs root (CAP_NET_ADMIN) and {@code nft}. Without them the fault tests are skipped with a
 * message saying so, except under CI ({@code CI=true}), where they must run and fail instead.
 */
public final class CablePuller implements AutoCloseable {

    private final Nftables nft;

    private CablePuller(Nftables nft) {
        this.nft = nft;
    }

    /** A puller for this test, or an aborted test (skip) when nftables cannot be used here. */
    public static CablePuller forTest(String name) {
        String problem = Nftables.unavailableReason();
        if (problem != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("cable-pull tests must run in CI but cannot: " + problem);
            }
            Assumptions.abort("cable-pull test skipped: " + problem + " (run as root with nftables installed)");
        }
        return new CablePuller(new Nftables("fl_test_" + name + "_" + ProcessHandle.current().pid()));
    }

    /** Drops every packet to and from these loopback ports, both directions. */
    public void pull(int... ports) {
        nft.pull(ports);
    }

    /** Drops every packet to and from a range of loopback ports. */
    public void pullRange(int fromPort, int toPort) {
        nft.pullRange(fromPort, toPort);
    }

    /** Puts the cable back. */
    public void plugBack() {
        nft.plugBack();
    }

    @Override
    public void close() {
        plugBack();
    }
}
