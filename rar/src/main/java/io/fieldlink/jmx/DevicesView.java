package io.fieldlink.jmx;

import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.health.DeviceHealth;
import io.fieldlink.metrics.DeviceMeter;
import io.fieldlink.metrics.ErrorKind;
import io.fieldlink.metrics.LatencyHistogram;

import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The {@link DeviceAttributes} of some devices together: one device (its MXBean) or all of a pool's.
 * Every getter reads live values when a JMX client asks; nothing is kept or refreshed here, and the
 * request path never waits for a reader (the device lock is taken only for its gauges, briefly).
 */
abstract class DevicesView implements DeviceAttributes {

    private final List<DeviceHealth> devices;

    DevicesView(List<DeviceHealth> devices) {
        this.devices = List.copyOf(devices);
    }

    final List<DeviceHealth> devices() {
        return devices;
    }

    /** The gauge value of a state: UNKNOWN = 0, UP = 1, DOWN = 2 (documented; not the enum's order). */
    static int code(DeviceState state) {
        return switch (state) {
            case UNKNOWN -> 0;
            case UP -> 1;
            case DOWN -> 2;
        };
    }

    private DeviceState worst() {
        DeviceState worst = DeviceState.UP;
        for (DeviceHealth d : devices) {
            DeviceState s = d.state();
            if (s == DeviceState.DOWN) {
                return s;
            }
            if (s == DeviceState.UNKNOWN) {
                worst = s;
            }
        }
        return worst;
    }

    final int count(DeviceState state) {
        int n = 0;
        for (DeviceHealth d : devices) {
            if (d.state() == state) {
                n++;
            }
        }
        return n;
    }

    private long sumStatus(ToLongFunction<DeviceStatus> value) {
        long sum = 0;
        for (DeviceHealth d : devices) {
            sum += value.applyAsLong(d.status());
        }
        return sum;
    }

    private long sumMeter(ToLongFunction<DeviceMeter> value) {
        long sum = 0;
        for (DeviceHealth d : devices) {
            sum += value.applyAsLong(d.meter());
        }
        return sum;
    }

    private long errors(ErrorKind kind) {
        return sumMeter(m -> m.errors(kind));
    }

    private LatencyHistogram.Window window() {
        long now = System.nanoTime();
        LatencyHistogram.Window w = LatencyHistogram.Window.empty();
        for (DeviceHealth d : devices) {
            w = w.plus(d.meter().latency().window(now));
        }
        return w;
    }

    private static int narrow(long n) {
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public String getState() {
        return worst().name();
    }

    @Override
    public int getStateCode() {
        return code(worst());
    }

    @Override
    public long getOutageMillis() {
        long longest = 0;
        for (DeviceHealth d : devices) {
            longest = Math.max(longest, d.outageMillis());
        }
        return longest;
    }

    @Override
    public long getDrops() {
        return sumStatus(DeviceStatus::drops);
    }

    @Override
    public int getReconnectAttempts() {
        return narrow(sumStatus(DeviceStatus::reconnectAttempts));
    }

    @Override
    public int getOpenConnections() {
        return narrow(sumStatus(DeviceStatus::openConnections));
    }

    @Override
    public int getIdleConnections() {
        long sum = 0;
        for (DeviceHealth d : devices) {
            sum += d.idleConnections();
        }
        return narrow(sum);
    }

    @Override
    public int getConnectionsInUse() {
        return narrow(sumStatus(DeviceStatus::connectionsInUse));
    }

    @Override
    public int getCallersWaiting() {
        return narrow(sumStatus(DeviceStatus::callersWaiting));
    }

    @Override
    public int getSharedRequestsInFlight() {
        long sum = 0;
        for (DeviceHealth d : devices) {
            sum += d.sharedRequestsInFlight();
        }
        return narrow(sum);
    }

    @Override
    public int getMaxInFlightPerConnection() {
        int most = 1;
        for (DeviceHealth d : devices) {
            most = Math.max(most, d.maxInFlight());
        }
        return most;
    }

    @Override
    public long getRequests() {
        return sumMeter(DeviceMeter::requests);
    }

    @Override
    public long getTimeouts() {
        return errors(ErrorKind.TIMEOUT);
    }

    @Override
    public long getConnectionLostErrors() {
        return errors(ErrorKind.CONNECTION_LOST);
    }

    @Override
    public long getDownErrors() {
        return errors(ErrorKind.DOWN);
    }

    @Override
    public long getBusyErrors() {
        return errors(ErrorKind.BUSY);
    }

    @Override
    public long getOtherErrors() {
        return errors(ErrorKind.OTHER);
    }

    @Override
    public long getErrors() {
        long sum = 0;
        for (ErrorKind kind : ErrorKind.values()) {
            sum += errors(kind);
        }
        return sum;
    }

    @Override
    public long getLatencyP50Micros() {
        return window().percentileMicros(0.50);
    }

    @Override
    public long getLatencyP99Micros() {
        return window().percentileMicros(0.99);
    }

    @Override
    public long getLatencyMaxMicros() {
        return window().maxMicros();
    }

    @Override
    public long getLatencyWindowCount() {
        return window().count();
    }

    @Override
    public long getLatencyCount() {
        return sumMeter(m -> m.latency().count());
    }

    @Override
    public long getLatencySumMicros() {
        return sumMeter(m -> m.latency().sumMicros());
    }

    @Override
    public long getUnsolicitedFrames() {
        return sumMeter(DeviceMeter::unsolicitedFrames);
    }

    @Override
    public long getFramesDiscarded() {
        return sumMeter(DeviceMeter::framesDiscarded);
    }

    @Override
    public long getOversizeFrames() {
        return sumMeter(DeviceMeter::oversizeFrames);
    }

    @Override
    public long getMalformedFrames() {
        return sumMeter(DeviceMeter::malformedFrames);
    }

    @Override
    public long getPartialFramesDiscarded() {
        return sumMeter(DeviceMeter::partialFramesDiscarded);
    }
}
