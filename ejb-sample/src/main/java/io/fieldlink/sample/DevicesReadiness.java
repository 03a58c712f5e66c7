package io.fieldlink.sample;

import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceStatus;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Readiness ({@code GET /health/ready}): the adapter answers and every device the application
 * declares essential is UP. Send traffic to this instance only then; an outage of an essential
 * device takes it out of the load balancer, not out of existence (that is what liveness would do,
 * see {@link AdapterLiveness}).
 *
 * <p>Essential devices: {@code fieldlink.sample.essentialDevices} (MicroProfile Config: a system
 * property, or the environment variable {@code FIELDLINK_SAMPLE_ESSENTIALDEVICES}), a comma list of
 * device ids; empty (the default) means none, and readiness then only needs the adapter. A device
 * not yet decided (UNKNOWN, just after start) is not ready: nobody knows whether it is reachable.
 */
@Readiness
@ApplicationScoped
public class DevicesReadiness implements HealthCheck {

    static final String NAME = "fieldlink-essential-devices";

    @Resource(lookup = "fieldlink/devices")
    private DeviceConnectionFactory devices;

    @Inject
    @ConfigProperty(name = "fieldlink.sample.essentialDevices")
    Optional<String> essential;

    @Override
    public HealthCheckResponse call() {
        List<String> wanted = essential.map(s -> Arrays.stream(s.split(",")).map(String::trim)
                .filter(id -> !id.isEmpty()).toList()).orElse(List.of());
        Map<String, DeviceStatus> byId;
        try {
            byId = devices.devices().stream().collect(Collectors.toMap(DeviceStatus::deviceId, Function.identity()));
        } catch (RuntimeException e) {
            // no exception text in the answer: it may name the pool's devices; the log has it
            java.util.logging.Logger.getLogger(DevicesReadiness.class.getName()).fine(() -> "readiness: " + e);
            return HealthCheckResponse.named(NAME).down().withData("adapter", "not answering").build();
        }
        HealthCheckResponseBuilder r = HealthCheckResponse.named(NAME).up();
        for (String id : wanted) {
            DeviceStatus s = byId.get(id);
            String state = s == null ? "not a device of this pool" : s.state().name();
            r.withData(id, state);
            if (s == null || s.state() != DeviceState.UP) {
                r.down();
            }
        }
        return r.build();
    }
}
