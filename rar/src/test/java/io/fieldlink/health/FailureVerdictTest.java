package io.fieldlink.health;

import io.fieldlink.api.DeviceState;
import io.fieldlink.health.FailureVerdict.LinkPhase;
import io.fieldlink.health.FailureVerdict.Verdict;
import io.fieldlink.transport.LinkFailure.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failure verdict as a table, without sockets: the same table docs/architecture.md shows. Each
 * row is what a user would expect of a device doing that.
 */
class FailureVerdictTest {

    @ParameterizedTest(name = "{0} on a {1} link, {2} healthy other(s), {3} fresh lost in a row, device {4} -> {5}")
    @CsvSource(delimiter = '|', textBlock = """
            # what failed    | where     | others | fresh lost | state   | verdict
            # the adapter or the caller closed it: nothing about the device
            LOCAL            | IN_USE    | 0      | 0          | UP      | IGNORE
            ABANDONED        | IN_USE    | 0      | 0          | UP      | IGNORE
            DEVICE_DOWN      | IDLE      | 0      | 0          | UP      | IGNORE
            # devices close idle connections every day: replace, no notice
            PEER_CLOSED      | IDLE      | 0      | 0          | UP      | REPLACE
            RESET            | IDLE      | 0      | 0          | UP      | REPLACE
            PEER_CLOSED      | IDLE      | 1      | 0          | UP      | REPLACE
            # garbage on one connection costs that connection
            PROTOCOL         | IN_USE    | 0      | 0          | UP      | REPLACE
            PROTOCOL         | SETTLING  | 0      | 1          | UNKNOWN | REPLACE
            # a connection lost mid-exchange, or a request timeout: check with a fresh connection
            PEER_CLOSED      | IN_USE    | 0      | 0          | UP      | PROBE
            RESET            | IN_USE    | 1      | 0          | UP      | PROBE
            RESPONSE_TIMEOUT | IN_USE    | 0      | 0          | UP      | PROBE
            RESPONSE_TIMEOUT | IDLE      | 0      | 0          | UP      | PROBE
            RESPONSE_TIMEOUT | SETTLING  | 0      | 1          | UP      | PROBE
            OTHER            | IDLE      | 0      | 0          | UP      | PROBE
            # keepalive, user timeout, heartbeat, routing: the path is dead
            TIMED_OUT        | IDLE      | 0      | 0          | UP      | DOWN
            TIMED_OUT        | IN_USE    | 3      | 0          | UP      | DOWN
            HEARTBEAT_LOST   | IDLE      | 1      | 0          | UP      | DOWN
            NETWORK          | IN_USE    | 0      | 0          | UP      | DOWN
            # a connect refused or dropped at once: with other links open it is the client limit
            REFUSED          | CONNECT   | 1      | 0          | UP      | CLIENT_LIMIT
            RESET            | CONNECT   | 2      | 0          | UP      | CLIENT_LIMIT
            PEER_CLOSED      | SETTLING  | 1      | 1          | UP      | CLIENT_LIMIT
            RESET            | SETTLING  | 1      | 1          | UNKNOWN | CLIENT_LIMIT
            # ... and with none: a second chance, then the device does not serve us at all
            REFUSED          | CONNECT   | 0      | 1          | UP      | PROBE
            REFUSED          | CONNECT   | 0      | 2          | UP      | DOWN
            REFUSED          | CONNECT   | 0      | 2          | UNKNOWN | DOWN
            # a connect nobody answers, or no route: dead, whatever the other links still look like
            TIMED_OUT        | CONNECT   | 2      | 0          | UP      | DOWN
            NETWORK          | CONNECT   | 1      | 0          | UP      | DOWN
            TIMED_OUT        | CONNECT   | 0      | 0          | UNKNOWN | DOWN
            HEARTBEAT_LOST   | SETTLING  | 1      | 1          | UP      | DOWN
            # a fresh link lost with no other link: once may be a reset of everything, twice is the pattern
            RESET            | SETTLING  | 0      | 1          | UP      | PROBE
            PEER_CLOSED      | SETTLING  | 0      | 1          | UNKNOWN | PROBE
            RESET            | SETTLING  | 0      | 2          | UP      | DOWN
            PEER_CLOSED      | SETTLING  | 0      | 3          | UNKNOWN | DOWN
            """)
    void theVerdictTable(Kind kind, LinkPhase phase, int healthyOthers, int freshLost, DeviceState state,
                         Verdict expected) {
        assertThat(FailureVerdict.of(kind, phase, healthyOthers, freshLost, state)).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void whileDownEveryFailureIsLeftToTheReconnector(Kind kind) {
        for (LinkPhase phase : LinkPhase.values()) {
            assertThat(FailureVerdict.of(kind, phase, 0, 2, DeviceState.DOWN)).isEqualTo(Verdict.IGNORE);
            assertThat(FailureVerdict.of(kind, phase, 2, 0, DeviceState.DOWN)).isEqualTo(Verdict.IGNORE);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aHealthyDeviceClosingAnIdleLinkIsNeverAnOutage(Kind kind) {
        // whatever a device does to an idle, settled link, only evidence of a dead path is DOWN
        Verdict v = FailureVerdict.of(kind, LinkPhase.IDLE, 0, 0, DeviceState.UP);
        boolean deadPath = kind == Kind.TIMED_OUT || kind == Kind.HEARTBEAT_LOST || kind == Kind.NETWORK;
        assertThat(v == Verdict.DOWN).isEqualTo(deadPath);
    }
}
