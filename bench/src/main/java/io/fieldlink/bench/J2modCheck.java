package io.fieldlink.bench;

import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import io.fieldlink.simulator.ModbusRegisters;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Correctness (not speed) against a second, independent Modbus TCP server: j2mod's TCP slave
 * ({@code com.ghgande:j2mod} 3.2.1) on 127.0.0.1, whose holding register {@code i} holds
 * {@code i ^ 0xA5A5} (a pattern other than the simulator's, so an answer from the wrong server or
 * the wrong register shows). FieldLink pipelined, FieldLink one at a time and digitalpetri read
 * ranges of 1..125 registers from several threads, every value checked; a raw socket then writes
 * {@value #BURST} requests in one write and reads their answers, which shows what j2mod does with
 * pipelined requests whatever the clients do. Part of {@link ThroughputReport}; alone:
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' io.fieldlink.bench.J2modCheck [reads per thread]
 * </pre>
 */
public final class J2modCheck {

    static final int REGISTERS = 4000;
    static final int THREADS = 8;
    static final int BURST = 32;
    private static final int PATTERN = 0xA5A5;

    private J2modCheck() {
    }

    /** One row: a client (or the raw burst), what it did, and what went wrong. */
    record Row(String client, int threads, long reads, long registers, long wrong, long failed, String note,
               List<String> examples) {
        boolean clean() {
            return wrong == 0 && failed == 0;
        }
    }

    static int expected(int address) {
        return (address ^ PATTERN) & 0xFFFF;
    }

    public static void main(String[] args) throws Exception {
        List<Row> rows = run(args.length > 0 ? Integer.parseInt(args[0]) : 250, 10);
        System.out.print(table(rows));
        List<String> problems = problems(rows);
        problems.forEach(System.out::println);
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    static List<Row> run(int readsPerThread, int bursts) throws Exception {
        int port = freePort();
        SimpleProcessImage image = new SimpleProcessImage(ModbusClients.UNIT);
        for (int i = 0; i < REGISTERS; i++) {
            image.addRegister(new SimpleRegister(expected(i)));
        }
        ModbusSlave slave = ModbusSlaveFactory.createTCPSlave(InetAddress.getByName("127.0.0.1"), port, 4, false);
        slave.addProcessImage(ModbusClients.UNIT, image);
        slave.open();
        List<Row> rows = new ArrayList<>();
        try {
            String host = "127.0.0.1";
            rows.add(clientRow(ModbusClients.fieldLink(ModbusGatewayHarness.PIPELINED, host, port,
                    ModbusGatewayHarness.PIPELINED_IN_FLIGHT), readsPerThread));
            rows.add(clientRow(ModbusClients.fieldLink(ModbusGatewayHarness.ONE_AT_A_TIME, host, port, 1), readsPerThread));
            rows.add(clientRow(ModbusClients.digitalpetri(host, port), readsPerThread));
            rows.add(burst(host, port, bursts));
        } finally {
            ModbusSlaveFactory.close(slave);
        }
        return rows;
    }

    private static Row clientRow(ModbusClients.Client client, int readsPerThread) throws Exception {
        try (client) {
            ModbusGatewayHarness.progress("j2mod check: " + client.name());
            ModbusClients.Result r = ModbusClients.readCount(client, THREADS, readsPerThread, REGISTERS, J2modCheck::expected);
            return new Row(client.name(), THREADS, r.reads(), r.registers(), r.wrong(), r.failed(),
                    client.name().startsWith("FieldLink") ? "one connection (maxConnectionsPerDevice=1)" : "one connection",
                    r.examples());
        }
    }

    /**
     * {@code bursts} times: {@value #BURST} read requests (distinct transaction ids, quantities and
     * addresses) in ONE write on one socket, then their answers read back and matched by transaction
     * id. Says whether they came back in order, and what the server did if not all came back.
     */
    private static Row burst(String host, int port, int bursts) {
        ModbusGatewayHarness.progress("j2mod check: raw socket, " + BURST + " requests per write");
        long answers = 0;
        long registers = 0;
        long wrong = 0;
        long missing = 0;
        boolean inOrder = true;
        List<String> examples = new ArrayList<>();
        String ending = null;
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(5_000);
            s.connect(new InetSocketAddress(host, port), 5_000);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int tid = 1;
            for (int b = 0; b < bursts && ending == null; b++) {
                Map<Integer, int[]> sent = new HashMap<>(); // tid -> {address, quantity}
                List<Integer> order = new ArrayList<>();
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                for (int i = 0; i < BURST; i++, tid++) {
                    int quantity = 1 + (tid * 13) % 125;
                    int address = (tid * 37) % (REGISTERS - 125);
                    all.writeBytes(ModbusRegisters.readHoldingRegisters(tid & 0xFFFF, ModbusClients.UNIT, address, quantity));
                    sent.put(tid & 0xFFFF, new int[] {address, quantity});
                    order.add(tid & 0xFFFF);
                }
                out.write(all.toByteArray());
                out.flush();
                for (int i = 0; i < BURST; i++) {
                    byte[] answer;
                    try {
                        answer = readFrame(in);
                    } catch (EOFException e) {
                        ending = "j2mod closed the connection after " + i + " of " + BURST + " answers in burst " + (b + 1);
                        missing += BURST - i;
                        break;
                    } catch (SocketTimeoutException e) {
                        ending = "no answer within 5 s after " + i + " of " + BURST + " answers in burst " + (b + 1);
                        missing += BURST - i;
                        break;
                    }
                    int got = ((answer[0] & 0xFF) << 8) | (answer[1] & 0xFF);
                    int[] req = sent.remove(got);
                    if (req == null) {
                        wrong++;
                        if (examples.size() < 10) {
                            examples.add("raw burst: answer with unknown or repeated tid " + got + ": "
                                    + ModbusClients.hex(answer, 16));
                        }
                        continue;
                    }
                    inOrder &= got == order.get(i);
                    try {
                        int[] v = ModbusClients.checkedRegisters(answer, got, req[1]);
                        for (int k = 0; k < v.length; k++) {
                            if (v[k] != expected(req[0] + k)) {
                                throw new ModbusClients.WrongAnswer("register " + (req[0] + k) + " = " + v[k]
                                        + ", expected " + expected(req[0] + k));
                            }
                        }
                        answers++;
                        registers += v.length;
                    } catch (ModbusClients.WrongAnswer e) {
                        wrong++;
                        if (examples.size() < 10) {
                            examples.add("raw burst: " + e.getMessage());
                        }
                    }
                }
            }
        } catch (IOException e) {
            ending = "socket failed: " + e;
        }
        String note = (ending == null ? "all answered, " : ending + "; ") + (inOrder ? "in request order" : "NOT in request order");
        if (ending != null) {
            examples.add("raw burst: " + ending);
        }
        return new Row("raw socket, " + BURST + " requests per write (" + bursts + " writes)", 1, answers, registers, wrong,
                missing, note, examples);
    }

    private static byte[] readFrame(DataInputStream in) throws IOException {
        byte[] header = new byte[6];
        in.readFully(header);
        int length = ((header[4] & 0xFF) << 8) | (header[5] & 0xFF);
        byte[] frame = new byte[6 + length];
        System.arraycopy(header, 0, frame, 0, 6);
        in.readFully(frame, 6, length);
        return frame;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%n### Correctness against j2mod 3.2.1's TCP slave (register i holds i ^ 0x%04X; "
                + "reads of 1..125 registers)%n%n", PATTERN));
        out.append("| client | threads | reads checked | registers checked | wrong | failed / missing | note |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            out.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %s |%n", r.client(), r.threads(), r.reads(),
                    r.registers(), r.wrong(), r.failed(), r.note()));
        }
        return out.toString();
    }

    static List<String> problems(List<Row> rows) {
        List<String> problems = new ArrayList<>();
        for (Row r : rows) {
            if (!r.clean()) {
                problems.add(String.format(Locale.ROOT, "j2mod check, %s: %d wrong, %d failed or missing", r.client(), r.wrong(),
                        r.failed()));
                r.examples().forEach(e -> problems.add("    " + e));
            }
        }
        return problems;
    }
}
