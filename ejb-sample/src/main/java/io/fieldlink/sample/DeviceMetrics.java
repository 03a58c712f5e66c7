package io.fieldlink.sample;

import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceStatus;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import java.util.logging.Logger;

/**
 * FieldLink's per-device health as MicroProfile Metrics, so the server's standard {@code /metrics}
 * endpoint serves them in Prometheus text (Payara Micro: {@code GET /metrics?scope=application}):
 *
 * <pre>
 * fieldlink_device_state{device="plc-1",mp_scope="application"} 2.0     # 0 UNKNOWN, 1 UP, 2 DOWN
 * fieldlink_device_outage_seconds{device="plc-1",mp_scope="application"} 4.2
 * </pre>
 *
 * <p>Why from the application and not from the server's MBean mapping: MicroProfile Metrics works
 * the same on every MicroProfile server (Payara, Open Liberty's mpMetrics), needs no server-specific
 * metrics.xml, and keeps MicroProfile out of the resource adapter, which stays a plain Jakarta
 * Connectors rar. Each gauge reads the adapter's health view when it is scraped (a local call, no
 * device I/O). The gauges are registered at application start for the pool's devices.
 */
@ApplicationScoped
public class DeviceMetrics {

    private static final Logger log = Logger.getLogger(DeviceMetrics.class.getName());
    private static final java.util.regex.Pattern RESERVED = java.util.regex.Pattern.compile("[,=:\"*?\n\\\\]");

    @Resource(lookup = "fieldlink/devices")
    private DeviceConnectionFactory devices;

    @Inject
    MetricRegistry registry;

    void register(@Observes @Initialized(ApplicationScoped.class) Object start) {
        for (DeviceStatus s : devices.devices()) {
            Tag device = new Tag("device", s.deviceId());
            String id = s.deviceId();
            gauge(id, device, "fieldlink.device.state", MetricUnits.NONE,
                    "Device state: 0 UNKNOWN (not decided yet), 1 UP, 2 DOWN", d -> switch (d.state()) {
                        case UNKNOWN -> 0;
                        case UP -> 1;
                        case DOWN -> 2;
                    });
            gauge(id, device, "fieldlink.device.outage", MetricUnits.SECONDS,
                    "Length of the current outage; 0 while the device is not DOWN", d -> d.state() == DeviceState.DOWN
                            ? Duration.between(d.since(), Instant.now()).toMillis() / 1000.0 : 0);
            gauge(id, device, "fieldlink.device.drops", MetricUnits.NONE,
                    "Outages (DROPPED edges) since the pool opened", DeviceStatus::drops);
            gauge(id, device, "fieldlink.device.reconnect.attempts", MetricUnits.NONE,
                    "Reconnect attempts in the current outage", DeviceStatus::reconnectAttempts);
            gauge(id, device, "fieldlink.device.connections.open", MetricUnits.NONE,
                    "Device connections open (idle and in use)", DeviceStatus::openConnections);
            gauge(id, device, "fieldlink.device.connections.in.use", MetricUnits.NONE,
                    "Device connections lent to callers", DeviceStatus::connectionsInUse);
            gauge(id, device, "fieldlink.device.callers.waiting", MetricUnits.NONE,
                    "Callers waiting for one of the device's connections", DeviceStatus::callersWaiting);
            gauge(id, device, "fieldlink.device.notices.dropped", MetricUnits.NONE,
                    "Notices about this device lost to outbox overflow", DeviceStatus::noticesDropped);
            // what only the adapter's MXBeans count: requests, errors by kind, latency
            jmx(id, device, "fieldlink.device.requests", MetricUnits.NONE, "Requests since the pool opened",
                    "Requests", 1);
            jmx(id, device, "fieldlink.device.timeouts", MetricUnits.NONE, "Requests without an answer in time",
                    "Timeouts", 1);
            jmx(id, device, "fieldlink.device.errors", MetricUnits.NONE,
                    "Failed requests: timeouts, lost connections, fail-fast while down, busy, other", "Errors", 1);
            jmx(id, device, "fieldlink.device.errors.down", MetricUnits.NONE,
                    "Requests refused at once while the device was DOWN", "DownErrors", 1);
            jmx(id, device, "fieldlink.device.errors.busy", MetricUnits.NONE,
                    "Requests that waited maxWaitMs for a connection in vain", "BusyErrors", 1);
            jmx(id, device, "fieldlink.device.latency.p50", MetricUnits.SECONDS,
                    "Median request latency over the last minute", "LatencyP50Micros", 1e-6);
            jmx(id, device, "fieldlink.device.latency.p99", MetricUnits.SECONDS,
                    "99th percentile request latency over the last minute", "LatencyP99Micros", 1e-6);
        }
        log.info(() -> "FieldLink device metrics registered for " + devices.devices().size() + " device(s)");
    }

    private void gauge(String deviceId, Tag tag, String name, String unit, String description,
                       ToDoubleFunction<DeviceStatus> value) {
        Metadata m = Metadata.builder().withName(name).withUnit(unit).withDescription(description).build();
        registry.gauge(m, this, self -> self.status(deviceId).map(value::applyAsDouble).orElse(Double.NaN), tag);
    }

    /**
     * A gauge over an attribute of the adapter's device MXBean
     * ({@code io.fieldlink:type=Device,pool=...,device=<id>}), read through the platform MBean
     * server: no FieldLink class needed, the same on every server.
     */
    private void jmx(String deviceId, Tag tag, String name, String unit, String description, String attribute,
                     double scale) {
        Metadata m = Metadata.builder().withName(name).withUnit(unit).withDescription(description).build();
        registry.gauge(m, this, self -> self.attribute(deviceId, attribute) * scale, tag);
    }

    private double attribute(String deviceId, String attribute) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            // the adapter quotes a name only if it holds a character JMX reserves (docs/operations.md)
            String key = RESERVED.matcher(deviceId).find() ? ObjectName.quote(deviceId) : deviceId;
            var names = server.queryNames(new ObjectName("io.fieldlink:type=Device,device=" + key + ",*"), null);
            if (names.size() == 1) {
                return ((Number) server.getAttribute(names.iterator().next(), attribute)).doubleValue();
            }
            // none, or several pools in this JVM with a device of that id: no number is better than another pool's
            log.fine(() -> names.size() + " FieldLink device MXBeans named " + deviceId + ": " + names);
        } catch (JMException | RuntimeException e) {
            log.fine(() -> "FieldLink MXBean attribute " + attribute + " of " + deviceId + ": " + e);
        }
        return Double.NaN;
    }

    private Optional<DeviceStatus> status(String deviceId) {
        try {
            return devices.devices().stream().filter(s -> s.deviceId().equals(deviceId)).findFirst();
        } catch (RuntimeException e) {
            // the pool is not available (the adapter restarting): no number, and the scrape goes on
            log.fine(() -> "FieldLink health view unavailable: " + e);
            return Optional.empty();
        }
    }
}
