package io.fieldlink.simulator;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs simulated devices from the command line, for the demo and for trying a pool by hand.
 *
 * <pre>
 * java -cp fieldlink-device-simulator.jar:netty-*.jar io.fieldlink.simulator.SimulatorMain \
 *      --framing line --bind 127.0.0.1 plc-1=5020 plc-2=5021
 * </pre>
 *
 * <p>Framings: {@code line}, {@code modbus}, {@code delimiter:HEX}, {@code length:OFFSET:LENGTH:ADJUSTMENT},
 * {@code fixed:N}, {@code raw}. Stops on Ctrl-C.
 */
public final class SimulatorMain {

    private SimulatorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        String framing = "line";
        String bind = "127.0.0.1";
        Map<String, Integer> devices = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--framing" -> framing = args[++i];
                case "--bind" -> bind = args[++i];
                default -> {
                    String[] kv = args[i].split("=", 2);
                    if (kv.length != 2) {
                        usage("bad device '" + args[i] + "'");
                    }
                    devices.put(kv[0], Integer.parseInt(kv[1]));
                }
            }
        }
        if (devices.isEmpty()) {
            usage("no devices");
        }
        List<DeviceSimulator> running = new ArrayList<>();
        for (Map.Entry<String, Integer> d : devices.entrySet()) {
            DeviceSimulator sim = DeviceSimulator.start(parse(framing), bind, d.getValue(), 1);
            running.add(sim);
            System.out.println("device " + d.getKey() + " listening on " + bind + ":" + sim.port() + " (" + framing + ")");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.forEach(DeviceSimulator::close);
            stopped.countDown();
        }));
        stopped.await();
    }

    static SimFraming parse(String spec) {
        String[] p = spec.toLowerCase(Locale.ROOT).split(":");
        return switch (p[0]) {
            case "line" -> SimFraming.line();
            case "modbus" -> SimFraming.modbusTcp();
            case "delimiter" -> SimFraming.delimiter(HexFormat.of().parseHex(p[1]));
            case "length" -> SimFraming.lengthField(Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]));
            case "fixed" -> SimFraming.fixed(Integer.parseInt(p[1]));
            case "raw" -> SimFraming.raw();
            default -> throw new IllegalArgumentException("unknown framing " + spec);
        };
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: SimulatorMain [--framing line|modbus|delimiter:HEX|length:OFF:LEN:ADJ|fixed:N|raw]"
                + " [--bind 127.0.0.1] id=port ...");
        System.exit(2);
    }
}
