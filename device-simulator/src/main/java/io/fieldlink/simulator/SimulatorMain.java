package io.fieldlink.simulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;

/**
 * Runs simulated devices from the command line, for the demo and for trying a pool by hand.
 *
 * <pre>
 * java -cp 'device-simulator.jar:lib/*' io.fieldlink.simulator.SimulatorMain \
 *      --framing line --control 15099 plc-1=15020 plc-2=15021
 *
 * curl -X POST http://127.0.0.1:15099/devices/plc-1/drop     # pull the cable (nftables, root)
 * curl -X POST http://127.0.0.1:15099/devices/plc-1/heal     # cable back, answering again
 * curl -X POST http://127.0.0.1:15099/devices/plc-1/hang     # keeps ACKing, never answers
 * curl -X POST http://127.0.0.1:15099/devices/plc-1/restart  # reboot: connections reset
 * curl http://127.0.0.1:15099/devices                        # what each device is doing
 * </pre>
 *
 * <p>Framings: {@code line}, {@code modbus}, {@code delimiter:HEX}, {@code length:OFFSET:LENGTH:ADJUSTMENT},
 * {@code fixed:N}, {@code raw}. Everything binds to loopback. Stops on Ctrl-C and puts every cable back.
 */
public final class SimulatorMain {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Map<String, SimulatedDevice> devices = new LinkedHashMap<>();

    /** One device of the command line, with its cable. */
    private record SimulatedDevice(String id, DeviceSimulator sim, Nftables cable) {
    }

    private SimulatorMain() {
    }

    public static void main(String[] args) throws Exception {
        String framing = "line";
        int control = 0;
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--framing" -> framing = args[++i];
                case "--control" -> control = Integer.parseInt(args[++i]);
                default -> {
                    String[] kv = args[i].split("=", 2);
                    if (kv.length != 2 || !ID.matcher(kv[0]).matches()) {
                        usage("bad device '" + args[i] + "'");
                    }
                    ports.put(kv[0], Integer.parseInt(kv[1]));
                }
            }
        }
        if (ports.isEmpty()) {
            usage("no devices");
        }
        new SimulatorMain().run(parse(framing), framing, ports, control);
    }

    private void run(SimFraming framing, String framingName, Map<String, Integer> ports, int controlPort)
            throws IOException, InterruptedException {
        for (Map.Entry<String, Integer> d : ports.entrySet()) {
            DeviceSimulator sim = DeviceSimulator.start(framing, "127.0.0.1", d.getValue(), 1);
            devices.put(d.getKey(), new SimulatedDevice(d.getKey(), sim,
                    new Nftables("fl_sim_" + d.getKey().replaceAll("[^A-Za-z0-9]", "_") + "_" + sim.port())));
            System.out.println("device " + d.getKey() + " listening on 127.0.0.1:" + sim.port() + " (" + framingName + ")");
        }
        HttpServer server = null;
        if (controlPort > 0) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", controlPort), 16);
            server.createContext("/devices", this::handle);
            server.start();
            System.out.println("control on http://127.0.0.1:" + controlPort + "/devices "
                    + (Nftables.unavailableReason() == null ? "(drop uses nftables)"
                    : "(drop unavailable: " + Nftables.unavailableReason() + "; use hang)"));
        }
        CountDownLatch stopped = new CountDownLatch(1);
        HttpServer s = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (s != null) {
                s.stop(0);
            }
            for (SimulatedDevice d : devices.values()) {
                try {
                    d.cable().plugBack();
                } catch (RuntimeException e) {
                    System.err.println("could not put the cable of " + d.id() + " back: " + e.getMessage());
                }
                d.sim().close();
            }
            stopped.countDown();
        }));
        stopped.await();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String[] path = ex.getRequestURI().getPath().split("/");
            if (ex.getRequestMethod().equals("GET") && path.length == 2) {
                reply(ex, 200, list());
                return;
            }
            if (!ex.getRequestMethod().equals("POST") || path.length != 4) {
                reply(ex, 404, "{\"error\":\"use GET /devices or POST /devices/{id}/{drop|heal|hang|echo|restart|off|on}\"}");
                return;
            }
            SimulatedDevice d = devices.get(path[2]);
            if (d == null) {
                reply(ex, 404, "{\"error\":\"no such device\"}");
                return;
            }
            try {
                act(d, path[3]);
                reply(ex, 200, list());
            } catch (IllegalArgumentException | IllegalStateException e) {
                reply(ex, 409, "{\"error\":\"" + e.getMessage().replace("\\", "\\\\").replace("\"", "'") + "\"}");
            }
        }
    }

    private static void act(SimulatedDevice d, String action) {
        switch (action) {
            case "drop" -> {
                String problem = Nftables.unavailableReason();
                if (problem != null) {
                    throw new IllegalStateException("a silent drop needs root and nftables (" + problem + "); try hang");
                }
                d.cable().pull(d.sim().port());
            }
            case "heal" -> {
                d.cable().plugBack();
                d.sim().behave(Behaviour.ECHO);
                d.sim().startAgain();
            }
            case "hang" -> d.sim().behave(Behaviour.HANG);
            case "echo" -> d.sim().behave(Behaviour.ECHO);
            case "restart" -> d.sim().restart();
            case "off" -> d.sim().stop();
            case "on" -> d.sim().startAgain();
            default -> throw new IllegalArgumentException("unknown action " + action);
        }
    }

    private String list() {
        List<String> items = new ArrayList<>();
        for (SimulatedDevice d : devices.values()) {
            items.add("{\"id\":\"" + d.id() + "\",\"port\":" + d.sim().port() + ",\"listening\":" + d.sim().isListening()
                    + ",\"behaviour\":\"" + d.sim().behaviour() + "\",\"cable\":\""
                    + (d.cable().isPulled() ? "pulled" : "in") + "\",\"connections\":" + d.sim().openConnections() + "}");
        }
        return "[" + String.join(",", items) + "]";
    }

    private static void reply(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
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
                + " [--control PORT] id=port ...");
        System.exit(2);
    }
}
