package io.fieldlink.jmx;

/**
 * One pool (one connection definition), registered as {@code io.fieldlink:type=Pool,pool=<pool>}
 * while it is open. Its {@link DeviceAttributes} are those of its devices together: counters and
 * connections added up, the worst state, the longest outage, latencies merged.
 *
 * <pre>{@code
 * ObjectName pool = new ObjectName("io.fieldlink:type=Pool,pool=line-3");
 * int down = (Integer) jmx.getAttribute(pool, "DevicesDown");
 * }</pre>
 */
public interface PoolMXBean extends DeviceAttributes {

    /** The pool's name as given, without any {@code #n} suffix. */
    String getPool();

    /** Devices of the pool. */
    int getDevices();

    int getDevicesUp();

    int getDevicesDown();

    /** Devices whose first connection has not settled yet. */
    int getDevicesUnknown();
}
