package io.fieldlink.health;

/**
 * Receives device state edges. The JMS notice publisher is one; tests and the health view can add
 * others through {@code FieldLinkResourceAdapter.addDeviceStateListener}.
 *
 * <p>Contract:
 * <ul>
 *   <li>Called on the adapter's single health thread, one change at a time, in the order the edges
 *       happened: per device, DROPPED and RESTORED always alternate, starting with DROPPED.</li>
 *   <li>Exactly one call per edge: an outage that breaks ten connections is one DROPPED.</li>
 *   <li>Be fast and never block: no I/O, no waiting on locks others hold. Hand slow work (such as
 *       sending a JMS message) to your own queue and thread; while you run, other devices' edges wait.</li>
 *   <li>Do not throw; an exception is logged and the next listener still runs.</li>
 * </ul>
 *
 * <pre>{@code
 * adapter.addDeviceStateListener(change -> {
 *     if (change.kind() == DeviceStateChange.Kind.DROPPED) {
 *         outbox.offer(change);   // non-blocking hand-off to the publisher's own thread
 *     }
 * });
 * }</pre>
 */
@FunctionalInterface
public interface DeviceStateListener {

    void onStateChange(DeviceStateChange change);

    /** A listener that ignores every change: use it instead of {@code null}. */
    DeviceStateListener NONE = change -> { };
}
