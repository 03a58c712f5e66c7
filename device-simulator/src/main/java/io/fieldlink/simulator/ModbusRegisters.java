package io.fieldlink.simulator;

import java.util.function.UnaryOperator;

/**
 * A Modbus TCP server's answers, for {@link DeviceSimulator#respondWith}: every holding and input
 * register holds its own address, so an answer shows which request it answers (read register
 * {@code a} with quantity {@code n}: values {@code a, a+1, ..., a+n-1}, modulo 65536).
 *
 * <pre>{@code
 * DeviceSimulator gateway = DeviceSimulator.start(SimFraming.modbusTcp(), "127.0.0.1", 1502, 1)
 *         .respondWith(new ModbusRegisters())
 *         .behave(Behaviour.DELAY).delayMs(2);   // each answer 2 ms after its request, independently
 * byte[] request = ModbusRegisters.readHoldingRegisters(7, 1, 100, 2);
 * // answer: MBAP (transaction 7, unit 1) + 03 04 0064 0065
 * }</pre>
 *
 * <p>Function codes 3 and 4 (read registers, quantity 1..125) and 6 (write single register, echoed);
 * any other function gets exception 01 (illegal function), a bad quantity exception 03.
 */
public final class ModbusRegisters implements UnaryOperator<byte[]> {

    private static final int MBAP = 7;

    @Override
    public byte[] apply(byte[] request) {
        if (request.length < MBAP + 1) {
            return exception(request, 0, 0x03);
        }
        int function = request[MBAP] & 0xFF;
        switch (function) {
            case 3, 4 -> {
                if (request.length < MBAP + 5) {
                    return exception(request, function, 0x03);
                }
                int address = u16(request, MBAP + 1);
                int quantity = u16(request, MBAP + 3);
                if (quantity < 1 || quantity > 125) {
                    return exception(request, function, 0x03);
                }
                byte[] pdu = new byte[2 + 2 * quantity];
                pdu[0] = (byte) function;
                pdu[1] = (byte) (2 * quantity);
                for (int i = 0; i < quantity; i++) {
                    int value = (address + i) & 0xFFFF;
                    pdu[2 + 2 * i] = (byte) (value >> 8);
                    pdu[3 + 2 * i] = (byte) value;
                }
                return frame(request, pdu);
            }
            case 6 -> {
                byte[] pdu = new byte[Math.min(5, request.length - MBAP)];
                System.arraycopy(request, MBAP, pdu, 0, pdu.length);
                return frame(request, pdu);
            }
            default -> {
                return exception(request, function, 0x01);
            }
        }
    }

    /** A read-holding-registers request (function 3) as a whole MBAP frame. */
    public static byte[] readHoldingRegisters(int transactionId, int unitId, int address, int quantity) {
        return new byte[] {(byte) (transactionId >> 8), (byte) transactionId, 0, 0, 0, 6, (byte) unitId, 3,
            (byte) (address >> 8), (byte) address, (byte) (quantity >> 8), (byte) quantity};
    }

    /** The register values of a read answer (function 3 or 4), or an exception naming its code. */
    public static int[] registers(byte[] answer) {
        if (answer.length < MBAP + 2 || (answer[MBAP] & 0x80) != 0) {
            throw new IllegalArgumentException("not a read answer: exception "
                    + (answer.length > MBAP + 1 ? answer[MBAP + 1] : -1));
        }
        int count = (answer[MBAP + 1] & 0xFF) / 2;
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = u16(answer, MBAP + 2 + 2 * i);
        }
        return values;
    }

    private static byte[] exception(byte[] request, int function, int code) {
        return frame(request, new byte[] {(byte) (function | 0x80), (byte) code});
    }

    /** The answer's MBAP header: the request's transaction and unit ids, protocol 0, our length. */
    private static byte[] frame(byte[] request, byte[] pdu) {
        byte[] out = new byte[MBAP + pdu.length];
        if (request.length >= 2) {
            out[0] = request[0];
            out[1] = request[1];
        }
        int length = pdu.length + 1;
        out[4] = (byte) (length >> 8);
        out[5] = (byte) length;
        out[6] = request.length > 6 ? request[6] : 0;
        System.arraycopy(pdu, 0, out, MBAP, pdu.length);
        return out;
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }
}
