package io.fieldlink.simulator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ModbusRegistersTest {

    private final ModbusRegisters device = new ModbusRegisters();

    @Test
    void aReadAnswersWithTheRegistersOwnAddressesUnderTheRequestsTransactionId() {
        byte[] answer = device.apply(ModbusRegisters.readHoldingRegisters(0x1234, 9, 100, 3));
        assertArrayEquals(new byte[] {0x12, 0x34, 0, 0, 0, 9, 9, 3, 6, 0, 100, 0, 101, 0, 102}, answer);
        assertArrayEquals(new int[] {100, 101, 102}, ModbusRegisters.registers(answer));
    }

    @Test
    void anUnknownFunctionOrABadQuantityIsAnException() {
        byte[] unknown = ModbusRegisters.readHoldingRegisters(1, 1, 0, 1);
        unknown[7] = 0x2B;
        assertArrayEquals(new byte[] {0, 1, 0, 0, 0, 3, 1, (byte) 0xAB, 0x01}, device.apply(unknown));
        assertArrayEquals(new byte[] {0, 1, 0, 0, 0, 3, 1, (byte) 0x83, 0x03},
                device.apply(ModbusRegisters.readHoldingRegisters(1, 1, 0, 126)));
        assertThrows(IllegalArgumentException.class, () -> ModbusRegisters.registers(device.apply(unknown)));
    }
}
