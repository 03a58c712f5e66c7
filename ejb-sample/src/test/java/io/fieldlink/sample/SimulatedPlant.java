package io.fieldlink.sample;

import com.sun.net.httpserver.HttpServer;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.simulator.SimulatorMain;

import java.io.IOException;

/**
 * The devices of the sample's container tests: plc-1..3 on the ports of the post-boot file
 * ({@code it.devicePort}, {@code it.port2}, {@code it.port3}), and the simulator's control port
 * ({@code it.controlPort}) that the page's demo switches go to (sample-it.properties). Start it in
 * the {@code @Deployment} method: the sample opens its pool when it starts, before any
 * {@code @BeforeAll} runs.
 */
final class SimulatedPlant implements AutoCloseable {

    static final int PORT1 = Integer.getInteger("it.devicePort", 25020);
    static final int PORT2 = Integer.getInteger("it.port2", 25021);
    static final int PORT3 = Integer.getInteger("it.port3", 25022);
    static final int CONTROL_PORT = Integer.getInteger("it.controlPort", 25029);

    final DeviceSimulator plc1;
    final DeviceSimulator plc2;
    final DeviceSimulator plc3;
    private final HttpServer control;

    private SimulatedPlant(DeviceSimulator plc1, DeviceSimulator plc2, DeviceSimulator plc3, HttpServer control) {
        this.plc1 = plc1;
        this.plc2 = plc2;
        this.plc3 = plc3;
        this.control = control;
    }

    static SimulatedPlant start() {
        DeviceSimulator plc1 = DeviceSimulator.start(SimFraming.line(), "127.0.0.1", PORT1, 1);
        DeviceSimulator plc2 = null;
        DeviceSimulator plc3 = null;
        try {
            plc2 = DeviceSimulator.start(SimFraming.line(), "127.0.0.1", PORT2, 1);
            plc3 = DeviceSimulator.start(SimFraming.line(), "127.0.0.1", PORT3, 1);
            SimulatorMain simulator = new SimulatorMain();
            simulator.add("plc-1", plc1);
            simulator.add("plc-2", plc2);
            simulator.add("plc-3", plc3);
            return new SimulatedPlant(plc1, plc2, plc3, simulator.control(CONTROL_PORT));
        } catch (IOException | RuntimeException e) {
            // what did start must not outlive the failure (its ports would fail the next test class)
            plc1.close();
            if (plc2 != null) {
                plc2.close();
            }
            if (plc3 != null) {
                plc3.close();
            }
            throw new IllegalStateException("the simulated devices could not start", e);
        }
    }

    @Override
    public void close() {
        control.stop(0);
        plc1.close();
        plc2.close();
        plc3.close();
    }
}
