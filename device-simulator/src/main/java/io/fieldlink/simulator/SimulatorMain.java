package io.fieldlink.simulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Runs simulated devices from the command line, for the demo and for trying a pool by hand.
 *
 * <pre>
 * java -cp 'device-simulator.jar:lib/*' io.fieldlink.simulator.SimulatorMain \
 *      --framing line --control 15099 plc-1=15020 plc-2=15021
 *
 * alias sim='curl -H "X-FieldLink-Request: 1" -X POST'        # every POST needs the header (see below)
 * sim http://127.0.0.1:15099/devices/plc-1/drop     # pull the cable (nftables, root)
 * sim http://127.0.0.1:15099/devices/plc-1/heal     # cable back, answering again
 * sim http://127.0.0.1:15099/devices/plc-1/hang     # keeps ACKing, never answers
 * sim http://127.0.0.1:15099/devices/plc-1/restart  # reboot: connections reset
 * curl http://127.0.0.1:15099/devices               # what each device is doing
 *
 * sim 'http://127.0.0.1:15099/devices/plc-1/idle-close?ms=30000'        # FIN after 30 s of silence
 * sim 'http://127.0.0.1:15099/devices/plc-1/client-limit?n=2&amp;action=reset' # close|reset|refuse-silently
 * sim 'http://127.0.0.1:15099/devices/plc-1/accept-reset?ms=500'        # RST new connections after 500 ms
 * sim 'http://127.0.0.1:15099/devices/plc-1/stray?p=0.1'                # 10 %: a duplicate frame after the answer
 * sim 'http://127.0.0.1:15099/devices/plc-1/late?p=0.05&amp;ms=4000'        # 5 %: answered 4 s late
 * sim 'http://127.0.0.1:15099/devices/plc-1/unsolicited?ms=1000'        # a frame nobody asked for, every second
 * sim 'http://127.0.0.1:15099/devices/plc-1/partial?bytes=2&amp;gapMs=50'   # answers trickle out
 * sim 'http://127.0.0.1:15099/devices/plc-1/seed?value=42'              # reproducible probabilities
 * sim http://127.0.0.1:15099/devices/plc-1/normal                       # all of it off, cable in, on
 * </pre>
 *
 * <p>The switches run {@code nft} as root, and any web page the browser visits can send a POST
 * to 127.0.0.1: a POST needs the header {@code X-FieldLink-Request: 1} (a page on another site
 * cannot send it without a CORS preflight, which this port never answers), a request that
 * carries an {@code Origin} (a browser's) is refused, and so is one whose {@code Host} is not
 * a loopback name (DNS rebinding). Refusals are 403 and change nothing.
 *
 * <p>{@code stray} and {@code unsolicited} take an optional {@code hex=} frame (without the framing's
 * trailer); by default a stray frame repeats the request (for these echo devices: a duplicate
 * answer) and an unsolicited frame is {@code unsolicited N} in ASCII. A switch given 0 is off
 * ({@code accept-reset}: a negative number). Malformed, missing, repeated or unknown parameters
 * get a 400 that says which one.
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

    /** A control port with no devices yet: {@link #add} them, then open {@link #control}. */
    public SimulatorMain() {
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
            DeviceSimulator sim = add(d.getKey(), DeviceSimulator.start(framing, "127.0.0.1", d.getValue(), 1));
            System.out.println("device " + d.getKey() + " listening on 127.0.0.1:" + sim.port() + " (" + framingName + ")");
        }
        HttpServer server = null;
        if (controlPort > 0) {
            server = control(controlPort);
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

    /** Puts a device under the control port's command; returns it. */
    public DeviceSimulator add(String id, DeviceSimulator sim) {
        devices.put(id, new SimulatedDevice(id, sim,
                new Nftables("fl_sim_" + id.replaceAll("[^A-Za-z0-9]", "_") + "_" + sim.port())));
        return sim;
    }

    /** Starts the control port on loopback (0: ephemeral); the caller stops it. */
    public HttpServer control(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        server.createContext("/devices", this::handle);
        server.start();
        return server;
    }

    private static final String USAGE = "use GET /devices or POST /devices/{id}/{drop|heal|hang|echo|restart|off|on"
            + "|idle-close?ms=|client-limit?n=[&action=close|reset|refuse-silently]|accept-reset?ms="
            + "|stray?p=[&hex=]|late?p=&ms=|unsolicited?ms=[&hex=]|partial?bytes=[&gapMs=]|seed?value=|normal}";

    /** The header a POST needs; a page on another site cannot send it without a preflight. */
    public static final String GUARD_HEADER = "X-FieldLink-Request";

    private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]");

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String refusal = refusal(ex.getRequestMethod(), ex.getRequestHeaders().getFirst("Host"),
                    ex.getRequestHeaders().getFirst("Origin"), ex.getRequestHeaders().getFirst(GUARD_HEADER));
            if (refusal != null) {
                reply(ex, 403, error(refusal));
                return;
            }
            String[] path = ex.getRequestURI().getPath().split("/");
            if (ex.getRequestMethod().equals("GET") && path.length == 2) {
                reply(ex, 200, list());
                return;
            }
            if (!ex.getRequestMethod().equals("POST") || path.length != 4) {
                reply(ex, 404, error(USAGE));
                return;
            }
            SimulatedDevice d = devices.get(path[2]);
            if (d == null) {
                reply(ex, 404, error("no such device"));
                return;
            }
            try {
                Params params = Params.parse(ex.getRequestURI().getRawQuery());
                Runnable command = command(d, path[3], params);
                if (command == null) {
                    reply(ex, 404, error("unknown action " + path[3] + "; " + USAGE));
                    return;
                }
                params.checkAllUsed(path[3]);
                command.run();
                reply(ex, 200, list());
            } catch (BadRequest e) {
                reply(ex, 400, error(e.getMessage()));
            } catch (IllegalArgumentException | IllegalStateException e) {
                reply(ex, 409, error(e.getMessage()));
            }
        }
    }

    /** Why the control port refuses a request, or null: see the class comment. */
    static String refusal(String method, String host, String origin, String marker) {
        String name = host == null ? "" : host.trim().toLowerCase(Locale.ROOT);
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf(']')) {
            name = name.substring(0, colon);
        }
        if (!LOOPBACK_NAMES.contains(name)) {
            return "refused: the control port answers only on 127.0.0.1, localhost or [::1], not Host " + host;
        }
        if (origin != null) {
            return "refused: a request from a web page (Origin " + origin + ")";
        }
        if (!method.equals("GET") && !"1".equals(marker)) {
            return "refused: a POST needs the header " + GUARD_HEADER + ": 1";
        }
        return null;
    }

    private static String error(String message) {
        return "{\"error\":\"" + json(String.valueOf(message)) + "\"}";
    }

    private static String json(String s) {
        return s.replace("\\", "\\\\").replace("\"", "'");
    }

    /**
     * What an action will do, with all its parameters already read and checked (so a bad request
     * changes nothing); null if there is no such action.
     */
    private static Runnable command(SimulatedDevice d, String action, Params q) {
        DeviceSimulator sim = d.sim();
        return switch (action) {
            case "idle-close" -> {
                long ms = q.whole("ms", 0, Long.MAX_VALUE);
                yield () -> sim.idleCloseMs(ms);
            }
            case "client-limit" -> {
                int n = (int) q.whole("n", 0, Integer.MAX_VALUE);
                String a = q.optional("action");
                DeviceSimulator.LimitAction how = a == null ? DeviceSimulator.LimitAction.CLOSE : switch (a) {
                    case "close" -> DeviceSimulator.LimitAction.CLOSE;
                    case "reset" -> DeviceSimulator.LimitAction.RESET;
                    case "refuse-silently" -> DeviceSimulator.LimitAction.REFUSE_SILENTLY;
                    default -> throw new BadRequest("action must be close, reset or refuse-silently, not '" + a + "'");
                };
                yield () -> sim.clientLimit(n, how);
            }
            case "accept-reset" -> {
                long ms = q.whole("ms", Long.MIN_VALUE, Long.MAX_VALUE);
                yield () -> sim.acceptThenReset(ms);
            }
            case "stray" -> {
                double p = q.probability("p");
                byte[] hex = q.hex("hex");
                UnaryOperator<byte[]> stray = hex == null ? UnaryOperator.identity() : req -> hex.clone();
                yield () -> sim.strayFrames(p, stray);
            }
            case "late" -> {
                double p = q.probability("p");
                long ms = q.whole("ms", 0, Long.MAX_VALUE);
                yield () -> sim.lateAnswers(p, ms);
            }
            case "unsolicited" -> {
                long ms = q.whole("ms", 0, Long.MAX_VALUE);
                byte[] hex = q.hex("hex");
                AtomicLong n = new AtomicLong();
                Supplier<byte[]> frame = hex == null
                        ? () -> ("unsolicited " + n.incrementAndGet()).getBytes(StandardCharsets.US_ASCII)
                        : hex::clone;
                yield () -> sim.unsolicited(ms, frame);
            }
            case "partial" -> {
                int bytes = (int) q.whole("bytes", 0, Integer.MAX_VALUE);
                Long gap = q.optionalWhole("gapMs", 0, Long.MAX_VALUE);
                yield () -> sim.partialAnswers(bytes, gap == null ? 0 : gap);
            }
            case "seed" -> {
                long seed = q.whole("value", Long.MIN_VALUE, Long.MAX_VALUE);
                yield () -> sim.seed(seed);
            }
            case "normal" -> () -> {
                d.cable().plugBack();
                sim.normal();
                sim.startAgain();
            };
            case "drop" -> () -> {
                String problem = Nftables.unavailableReason();
                if (problem != null) {
                    throw new IllegalStateException("a silent drop needs root and nftables (" + problem + "); try hang");
                }
                d.cable().pull(sim.port());
            };
            case "heal" -> () -> {
                d.cable().plugBack();
                sim.behave(Behaviour.ECHO);
                sim.startAgain();
            };
            case "hang" -> () -> sim.behave(Behaviour.HANG);
            case "echo" -> () -> sim.behave(Behaviour.ECHO);
            case "restart" -> sim::restart;
            case "off" -> sim::stop;
            case "on" -> sim::startAgain;
            default -> null;
        };
    }

    /** A request the client got wrong: answered with 400. */
    static final class BadRequest extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }

    /** A command's query parameters, read strictly: each at most once, every one used, numbers in plain digits. */
    static final class Params {
        private static final Pattern WHOLE = Pattern.compile("-?[0-9]{1,19}");
        private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,9}(\\.[0-9]{1,17})?|\\.[0-9]{1,17}");
        private static final Pattern HEX = Pattern.compile("(?:[0-9A-Fa-f]{2})+");

        private final Map<String, String> values = new LinkedHashMap<>();
        private final Set<String> used = new HashSet<>();

        static Params parse(String rawQuery) {
            Params q = new Params();
            if (rawQuery == null || rawQuery.isEmpty()) {
                return q;
            }
            for (String part : rawQuery.split("&", -1)) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new BadRequest("parameters are name=value, not '" + part + "'");
                }
                String name = decode(part.substring(0, eq));
                if (q.values.put(name, decode(part.substring(eq + 1))) != null) {
                    throw new BadRequest(name + " is given more than once");
                }
            }
            return q;
        }

        private static String decode(String s) {
            try {
                return URLDecoder.decode(s, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new BadRequest("bad %-escape in '" + s + "'");
            }
        }

        String optional(String name) {
            used.add(name);
            return values.get(name);
        }

        private String required(String name) {
            String v = optional(name);
            if (v == null) {
                throw new BadRequest(name + " is missing");
            }
            return v;
        }

        long whole(String name, long min, long max) {
            return whole(name, required(name), min, max);
        }

        Long optionalWhole(String name, long min, long max) {
            String v = optional(name);
            return v == null ? null : whole(name, v, min, max);
        }

        private static long whole(String name, String v, long min, long max) {
            if (!WHOLE.matcher(v).matches()) {
                throw new BadRequest(name + " must be a whole number, not '" + v + "'");
            }
            long n;
            try {
                n = Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new BadRequest(name + " must be within [" + min + ", " + max + "], not " + v);
            }
            if (n < min || n > max) {
                throw new BadRequest(name + " must be within [" + min + ", " + max + "], not " + v);
            }
            return n;
        }

        double probability(String name) {
            String v = required(name);
            if (!DECIMAL.matcher(v).matches()) {
                throw new BadRequest(name + " must be a probability like 0.25, not '" + v + "'");
            }
            double p = Double.parseDouble(v);
            if (p > 1) {
                throw new BadRequest(name + " must be within [0, 1], not " + v);
            }
            return p;
        }

        byte[] hex(String name) {
            String v = optional(name);
            if (v == null) {
                return null;
            }
            if (!HEX.matcher(v).matches()) {
                throw new BadRequest(name + " must be pairs of hex digits, not '" + v + "'");
            }
            return HexFormat.of().parseHex(v);
        }

        /** Refuses parameters the action does not take, so a typo is not silently ignored. */
        void checkAllUsed(String action) {
            Set<String> unknown = new TreeSet<>(values.keySet());
            unknown.removeAll(used);
            if (!unknown.isEmpty()) {
                throw new BadRequest(action + " does not take " + String.join(", ", unknown));
            }
        }
    }

    private String list() {
        List<String> items = new ArrayList<>();
        for (SimulatedDevice d : devices.values()) {
            DeviceSimulator sim = d.sim();
            List<String> switches = new ArrayList<>();
            sim.activeSwitches().forEach((k, v) -> switches.add("\"" + k + "\":\"" + json(v) + "\""));
            items.add("{\"id\":\"" + d.id() + "\",\"port\":" + sim.port() + ",\"listening\":" + sim.isListening()
                    + ",\"behaviour\":\"" + sim.behaviour() + "\",\"cable\":\""
                    + (d.cable().isPulled() ? "pulled" : "in") + "\",\"connections\":" + sim.openConnections()
                    + ",\"switches\":{" + String.join(",", switches) + "}"
                    + ",\"injected\":{\"stray\":" + sim.strayFramesSent() + ",\"late\":" + sim.lateAnswersSent()
                    + ",\"unsolicited\":" + sim.unsolicitedSent() + ",\"idleCloses\":" + sim.idleCloses()
                    + ",\"limitRejections\":" + sim.limitRejections() + ",\"acceptResets\":" + sim.acceptResets() + "}}");
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
