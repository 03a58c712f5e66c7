package io.fieldlink.simulator;

/** What a simulated device does with each frame it receives. */
public enum Behaviour {
    /** Answers every frame with the same frame (or the configured responder's answer). */
    ECHO,
    /** Answers after {@link DeviceSimulator#delayMs(long)}. */
    DELAY,
    /** Reads and never answers: an application that hangs while its kernel still ACKs. */
    HANG,
    /** Closes the connection (FIN) when a frame arrives. */
    CLOSE,
    /** Resets the connection (RST) when a frame arrives. */
    RESET,
    /** Accepts new connections and closes them at once (a device over its client limit). */
    DROP_NEW
}
