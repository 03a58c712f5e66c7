package io.fieldlink.metrics;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceTimeoutException;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Errors counted by kind, and counting that costs the request path no allocation. */
class DeviceMeterTest {

    @Test
    void errorsAreCountedByTheKindTheCallerSaw() {
        DeviceMeter meter = new DeviceMeter();
        meter.failed(new DeviceTimeoutException("plc", "h:1", "no answer within 300 ms"));
        meter.failed(new ConnectionLostException("plc", "h:1", "connection lost: reset", null));
        meter.failed(new DeviceDownException("plc", "h:1", Instant.now(), "refused"));
        meter.failed(new DeviceDownException("plc", "h:1", Instant.now(), "refused"));
        meter.failed(new DeviceBusyException("plc", "h:1", 200, 1, "1 in use"));
        meter.failed(new DeviceException("plc", "h:1", "frame has 70000 bytes"));

        assertThat(meter.errors(ErrorKind.TIMEOUT)).isEqualTo(1);
        assertThat(meter.errors(ErrorKind.CONNECTION_LOST)).isEqualTo(1);
        assertThat(meter.errors(ErrorKind.DOWN)).isEqualTo(2);
        assertThat(meter.errors(ErrorKind.BUSY)).isEqualTo(1);
        assertThat(meter.errors(ErrorKind.OTHER)).isEqualTo(1);
    }

    @Test
    void countingARequestAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        DeviceMeter meter = new DeviceMeter();
        DeviceException timeout = new DeviceTimeoutException("plc", "h:1", "no answer");
        Runnable oneRequest = () -> {
            meter.requestStarted();
            long end = System.nanoTime();
            meter.requestAnswered(37_000 + (end & 0xFFFF), end);
            meter.failed(timeout);
            meter.unsolicitedFrame();
        };
        for (int i = 0; i < 200_000; i++) {
            oneRequest.run(); // warm up: compiled, and every slot of the window touched if time allows
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            oneRequest.run();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(allocated).as("bytes allocated by 100,000 counted requests").isLessThan(4_096);
        assertThat(meter.requests()).isEqualTo(300_000);
        assertThat(meter.latency().count()).isEqualTo(300_000);
    }
}
