package io.fieldlink.sample;

import io.fieldlink.api.DeviceConnectionFactory;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Liveness ({@code GET /health/live}): this instance and its resource adapter work. Deliberately
 * blind to the devices: a plant network outage makes every device DOWN on every instance at once,
 * and restarting every pod cannot bring a cable back; it would only lose the outage's history and
 * the notices still waiting. The adapter's health view is local (no network I/O), so this check is
 * cheap and cannot hang on a device.
 */
@Liveness
@ApplicationScoped
public class AdapterLiveness implements HealthCheck {

    @Resource(lookup = "fieldlink/devices")
    private DeviceConnectionFactory devices;

    @Override
    public HealthCheckResponse call() {
        try {
            int n = devices.devices().size();
            return HealthCheckResponse.named("fieldlink-adapter").up().withData("devices", n).build();
        } catch (RuntimeException e) {
            java.util.logging.Logger.getLogger(AdapterLiveness.class.getName()).fine(() -> "liveness: " + e);
            return HealthCheckResponse.named("fieldlink-adapter").down().withData("adapter", "not answering").build();
        }
    }
}
