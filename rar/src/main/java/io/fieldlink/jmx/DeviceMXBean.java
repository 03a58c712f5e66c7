package io.fieldlink.jmx;

/**
 * One device of one pool, registered as {@code io.fieldlink:type=Device,pool=<pool>,device=<id>}
 * while its pool is open (see {@link MXBeanRegistry} for names that need quoting or are taken).
 *
 * <pre>{@code
 * MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
 * ObjectName plc = new ObjectName("io.fieldlink:type=Device,pool=line-3,device=plc-7");
 * int state = (Integer) jmx.getAttribute(plc, "StateCode");          // 0 UNKNOWN, 1 UP, 2 DOWN
 * long p99 = (Long) jmx.getAttribute(plc, "LatencyP99Micros");
 * }</pre>
 */
public interface DeviceMXBean extends DeviceAttributes {

    /** The pool's name as given ({@code poolName}, or the default), without any {@code #n} suffix. */
    String getPool();

    /** The device's id in its pool. */
    String getDeviceId();

    /** {@code host:port}. */
    String getAddress();
}
