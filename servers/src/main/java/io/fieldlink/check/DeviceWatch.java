package io.fieldlink.check;

import io.fieldlink.api.DeviceConnectionFactory;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;

import java.util.logging.Logger;

/**
 * Looks the pool up when the application starts. A server creates the connection factory, and with
 * it FieldLink's pool, at the first lookup (Payara, Open Liberty) or at deployment (WildFly): this
 * lookup makes every device watched from the application's start on every server, not from the
 * first request.
 */
@ApplicationScoped
public class DeviceWatch {

    private static final Logger log = Logger.getLogger(DeviceWatch.class.getName());

    @Resource(name = "fieldlink/devices")
    DeviceConnectionFactory devices;

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
        log.info(() -> "FieldLink devices watched from the start: " + devices.devices().size());
    }
}
