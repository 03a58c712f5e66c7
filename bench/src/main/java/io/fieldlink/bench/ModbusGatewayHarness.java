package io.fieldlink.bench;

import io.fieldlink.simulator.Behaviour;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.ModbusRegisters;
import io.fieldlink.simulator.SimFraming;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Modbus TCP gateway in front of slow devices: it answers each request 2 ms after it arrives,
 * independently of the other requests in flight, and accepts ONE connection. 1, 8 and 32 threads
 * read holding registers through each client in turn, each read checked by content (register
 * values are their addresses, every thread reads its own addresses, and FieldLink's answers must
 * carry the read's own transaction id), and a table of throughput and p50/p99 latency is printed.
 * Table 2 of {@link ThroughputReport}, which is the way to run it together with the other tables:
 *
 * <pre>
 * mvn -B -q -DskipTests package -pl bench -am
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ThroughputReport [quick]
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.ModbusGatewayHarness [seconds per cell]
 * </pre>
 *
 * Clients, each on ONE connection: FieldLink pipelined (correlation by the MBAP transaction id,
 * {@code maxConnectionsPerDevice=1}, {@code maxInFlightPerConnection=32}), FieldLink one at a time
 * (the same with {@code maxInFlightPerConnection=1}), and digitalpetri's Netty client
 * ({@code com.digitalpetri.modbus:modbus-tcp} 2.1.3), which keeps several requests in flight.
 * A wrong answer, a failed read or a second connection makes {@link #main} exit with status 1.
 */
public final class ModbusGatewayHarness {

    static final int ANSWER_DELAY_MS = 2;
    static final int PIPELINED_IN_FLIGHT = 32;
    static final String PIPELINED = "FieldLink, pipelined (maxInFlight " + PIPELINED_IN_FLIGHT + ")";
    static final String ONE_AT_A_TIME = "FieldLink, one at a time (maxInFlight 1)";
    static final String DIGITALPETRI = "digitalpetri modbus-tcp 2.1.3";
    private static final int QUANTITY = 2;

    private ModbusGatewayHarness() {
    }

    /** One cell of the table: a client at a thread count, and the connections it made to the gateway. */
    record Cell(String client, int threads, ModbusClients.Result result, long connections, long rejected) {
        boolean clean() {
            return result.clean() && rejected == 0;
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<Cell> cells = run(new int[] {1, 8, 32}, Math.max(1, seconds / 3) * 1000L, seconds * 1000L);
        System.out.print(table(cells, seconds * 1000L));
        System.out.print(ratios(cells));
        List<String> problems = problems(cells);
        if (!problems.isEmpty()) {
            System.out.println("\n**FAILED:**\n");
            problems.forEach(System.out::println);
        }
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    /** Every cell: for each thread count, the three clients in turn, each after a warm-up of its own. */
    static List<Cell> run(int[] threadCounts, long warmupMs, long measureMs) throws Exception {
        List<Cell> cells = new ArrayList<>();
        try (DeviceSimulator gateway = DeviceSimulator.start(SimFraming.modbusTcp(), "127.0.0.1", 0, 1)) {
            gateway.respondWith(new ModbusRegisters()).behave(Behaviour.DELAY).delayMs(ANSWER_DELAY_MS)
                    .clientLimit(1, DeviceSimulator.LimitAction.CLOSE);
            for (int threads : threadCounts) {
                for (String name : List.of(PIPELINED, ONE_AT_A_TIME, DIGITALPETRI)) {
                    awaitNoConnection(gateway);
                    long accepted = gateway.connectionsAccepted();
                    long rejected = gateway.limitRejections();
                    ModbusClients.Result r;
                    try (ModbusClients.Client c = client(name, gateway)) {
                        progress("table 2: " + name + ", " + threads + " threads");
                        ModbusClients.Result warm = ModbusClients.readFor(c, threads, warmupMs, QUANTITY, a -> a);
                        r = ModbusClients.readFor(c, threads, measureMs, QUANTITY, a -> a);
                        if (!warm.clean()) { // a wrong answer in the warm-up counts too
                            r = merge(r, warm);
                        }
                    }
                    cells.add(new Cell(name, threads, r, gateway.connectionsAccepted() - accepted,
                            gateway.limitRejections() - rejected));
                }
            }
        }
        return cells;
    }

    private static ModbusClients.Client client(String name, DeviceSimulator gateway) throws Exception {
        return switch (name) {
            case PIPELINED -> ModbusClients.fieldLink(name, gateway.host(), gateway.port(), PIPELINED_IN_FLIGHT);
            case ONE_AT_A_TIME -> ModbusClients.fieldLink(name, gateway.host(), gateway.port(), 1);
            default -> ModbusClients.digitalpetri(gateway.host(), gateway.port());
        };
    }

    /** The previous client's connection must be gone, or the gateway's one-connection limit rejects the next. */
    private static void awaitNoConnection(DeviceSimulator gateway) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (gateway.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private static ModbusClients.Result merge(ModbusClients.Result r, ModbusClients.Result warm) {
        List<String> examples = new ArrayList<>(warm.examples());
        examples.addAll(r.examples());
        return new ModbusClients.Result(r.reads(), r.registers(), r.wrong() + warm.wrong(), r.failed() + warm.failed(),
                r.seconds(), r.micros(), examples);
    }

    static String table(List<Cell> cells, long measureMs) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%n### 2. Modbus TCP gateway: answers %d ms after each request, ONE connection, "
                + "%.1f s per cell%n%n", ANSWER_DELAY_MS, measureMs / 1000.0));
        out.append("| threads | client | reads/s | p50 ms | p99 ms | in flight >= (reads/s x 2 ms) | wrong answers | failed | "
                + "connections |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Cell c : cells) {
            ModbusClients.Result r = c.result();
            out.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.2f | %.2f | %.1f | %d | %d | %d%s |%n", c.threads(),
                    c.client(), r.perSecond(), r.percentileMicros(50) / 1000, r.percentileMicros(99) / 1000,
                    r.perSecond() * ANSWER_DELAY_MS / 1000, r.wrong(), r.failed(), c.connections(),
                    c.rejected() > 0 ? " (" + c.rejected() + " rejected)" : ""));
        }
        return out.toString();
    }

    static String ratios(List<Cell> cells) {
        StringBuilder out = new StringBuilder();
        out.append("\n| threads | pipelined / one-at-a-time (reads/s) | pipelined / digitalpetri (reads/s) "
                + "| p50 pipelined / p50 digitalpetri |\n|---|---|---|---|\n");
        for (int threads : cells.stream().mapToInt(Cell::threads).distinct().toArray()) {
            ModbusClients.Result p = find(cells, PIPELINED, threads);
            ModbusClients.Result o = find(cells, ONE_AT_A_TIME, threads);
            ModbusClients.Result d = find(cells, DIGITALPETRI, threads);
            out.append(String.format(Locale.ROOT, "| %d | %.2fx | %.2fx | %.2fx |%n", threads, p.perSecond() / o.perSecond(),
                    p.perSecond() / d.perSecond(), p.percentileMicros(50) / d.percentileMicros(50)));
        }
        return out.toString();
    }

    /** Wrong answers, failed reads and rejected connections, one line each with examples; empty when clean. */
    static List<String> problems(List<Cell> cells) {
        List<String> problems = new ArrayList<>();
        for (Cell c : cells) {
            if (!c.clean()) {
                problems.add(String.format(Locale.ROOT, "table 2, %s, %d threads: %d wrong answers, %d failed reads, "
                        + "%d connections rejected by the one-connection limit", c.client(), c.threads(), c.result().wrong(),
                        c.result().failed(), c.rejected()));
                c.result().examples().forEach(e -> problems.add("    " + e));
            }
        }
        return problems;
    }

    private static ModbusClients.Result find(List<Cell> cells, String client, int threads) {
        return cells.stream().filter(c -> c.client().equals(client) && c.threads() == threads).findFirst()
                .orElseThrow().result();
    }

    static void progress(String what) {
        System.err.println("[" + java.time.LocalTime.now().withNano(0) + "] " + what);
    }
}
