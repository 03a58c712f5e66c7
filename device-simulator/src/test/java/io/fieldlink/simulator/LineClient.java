package io.fieldlink.simulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** A plain blocking socket client for line-framed simulated devices; every read is bounded by SO_TIMEOUT. */
final class LineClient implements AutoCloseable {

    static final int TIMEOUT_MS = 5_000;

    private final Socket socket;
    private final InputStream in;
    /** Bytes read but not yet handed out by {@link #readLine()}. */
    private byte[] pending = new byte[0];

    LineClient(DeviceSimulator sim) throws IOException {
        socket = new Socket(sim.host(), sim.port());
        socket.setSoTimeout(TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
    }

    Socket socket() {
        return socket;
    }

    void send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** One request, one answer line. */
    String exchange(String line) throws IOException {
        send(line + "\n");
        return readLine();
    }

    /** What a single read() returns: one arrival of bytes, or null at EOF. */
    String readOnce() throws IOException {
        if (pending.length > 0) {
            throw new IllegalStateException("unread bytes left from an earlier readLine()");
        }
        byte[] buf = new byte[8192];
        int n = in.read(buf);
        return n < 0 ? null : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    /** A single read's raw return value: -1 at EOF. */
    int read() throws IOException {
        if (pending.length > 0) {
            int b = pending[0] & 0xff;
            pending = Arrays.copyOfRange(pending, 1, pending.length);
            return b;
        }
        return in.read();
    }

    /** The next line without its \n; fails at EOF. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            for (int i = 0; i < pending.length; i++) {
                if (pending[i] == '\n') {
                    line.write(pending, 0, i);
                    pending = Arrays.copyOfRange(pending, i + 1, pending.length);
                    return line.toString(StandardCharsets.US_ASCII);
                }
            }
            line.write(pending, 0, pending.length);
            byte[] buf = new byte[8192];
            int n = in.read(buf);
            if (n < 0) {
                fail("EOF instead of a line; got so far: '" + line.toString(StandardCharsets.US_ASCII) + "'");
            }
            pending = Arrays.copyOf(buf, n);
        }
    }

    /** True if the connection ends with a reset, false if with EOF (FIN); fails if data arrives instead. */
    boolean endsWithReset() throws IOException {
        try {
            int b = read();
            if (b >= 0) {
                fail("data instead of the end of the connection: " + (char) b);
            }
            return false;
        } catch (SocketException e) {
            if (String.valueOf(e.getMessage()).toLowerCase().contains("reset")) {
                return true;
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** Waits for a condition the simulator reaches on its own threads; fails after 5 s. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
