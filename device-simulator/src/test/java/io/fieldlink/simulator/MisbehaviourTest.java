package io.fieldlink.simulator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.fieldlink.simulator.LineClient.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each switch of {@link DeviceSimulator}, driven over real loopback sockets by a plain blocking client. */
class MisbehaviourTest {

    private DeviceSimulator sim;
    private final List<LineClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        sim = DeviceSimulator.start(SimFraming.line());
    }

    @AfterEach
    void stop() throws IOException {
        for (LineClient c : clients) {
            c.close();
        }
        sim.close();
    }

    private LineClient connect() throws IOException {
        LineClient c = new LineClient(sim);
        clients.add(c);
        return c;
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static long msSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    @Test
    void strayFrameArrivesInTheSameReadAsTheAnswer() throws IOException {
        sim.strayFrames(1.0, req -> ("stray:" + text(req)).getBytes(StandardCharsets.US_ASCII));
        LineClient c = connect();

        c.send("hello\n");

        assertEquals("hello\nstray:hello\n", c.readOnce());
        assertEquals(1, sim.strayFramesSent());
    }

    @Test
    void seededStrayFramesAreReproducibleAndCounted() throws IOException {
        List<String> first = strayRun(7);
        sim.close();
        sim = DeviceSimulator.start(SimFraming.line());
        List<String> second = strayRun(7);

        assertEquals(first, second);
        long strays = second.stream().filter(l -> l.startsWith("stray")).count();
        assertEquals(strays, sim.strayFramesSent());
        assertTrue(strays > 0 && strays < 40, "a probability of 0.3 gave " + strays + " strays in 40");
    }

    /** Every line a client sees when 40 requests meet a 30 % stray chance under {@code seed}. */
    private List<String> strayRun(long seed) throws IOException {
        sim.seed(seed).strayFrames(0.3, req -> ("stray " + text(req)).getBytes(StandardCharsets.US_ASCII));
        List<String> lines = new ArrayList<>();
        try (LineClient c = new LineClient(sim)) {
            for (int i = 0; i < 40; i++) {
                c.send("r" + i + "\n");
                readUntil(c, "r" + i, lines);
            }
            sim.strayFrames(0, null);
            c.send("end\n");
            readUntil(c, "end", lines);
        }
        return lines;
    }

    private static void readUntil(LineClient c, String last, List<String> lines) throws IOException {
        String line;
        do {
            line = c.readLine();
            lines.add(line);
        } while (!line.equals(last));
    }

    @Test
    void lateAnswerIsOvertakenByTheNextRequestsAnswer() throws IOException {
        sim.lateAnswers(1.0, 400);
        LineClient c = connect();
        long sent = System.nanoTime();
        c.send("first\n");
        await("the first request to arrive", () -> sim.framesReceived() == 1);
        sim.lateAnswers(0, 0);

        c.send("second\n");

        assertEquals("second", c.readLine());
        assertEquals("first", c.readLine());
        assertTrue(msSince(sent) >= 390, "late by " + msSince(sent) + " ms");
        assertEquals(1, sim.lateAnswersSent());
    }

    @Test
    void unsolicitedFramesReachEveryConnectionAndStopWhenSwitchedOff() throws IOException {
        LineClient a = connect();
        LineClient b = connect();
        await("both connections", () -> sim.openConnections() == 2);

        sim.unsolicited(1, () -> "tick".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 20; i++) {
            assertEquals("tick", a.readLine());
            assertEquals("tick", b.readLine());
        }
        assertTrue(sim.unsolicitedSent() >= 40, "counted " + sim.unsolicitedSent());

        sim.unsolicited(0, null);
        for (LineClient c : List.of(a, b)) {
            c.send("ping\n");
            String line;
            while (!(line = c.readLine()).equals("ping")) {
                assertEquals("tick", line);
            }
            // Anything written before the switch went off came before "ping": nothing may follow it.
            assertEquals("pong", c.exchange("pong"));
        }
    }

    @Test
    void idleConnectionIsClosedWithFinWhileTrafficKeepsItOpen() throws IOException, InterruptedException {
        LineClient c = connect();
        assertEquals("a", c.exchange("a"));
        sim.idleCloseMs(500);

        for (int i = 0; i < 6; i++) {    // 600 ms of traffic, each gap well under the idle time
            Thread.sleep(100);
            assertEquals("k" + i, c.exchange("k" + i));
        }
        long lastAnswer = System.nanoTime();

        assertFalse(c.endsWithReset(), "expected FIN");
        assertTrue(msSince(lastAnswer) >= 400, "closed after " + msSince(lastAnswer) + " ms of silence");
        assertEquals(1, sim.idleCloses());
    }

    @Test
    void clientLimitClosesTheConnectionBeyondIt() throws IOException {
        sim.clientLimit(1, DeviceSimulator.LimitAction.CLOSE);
        LineClient first = connect();
        assertEquals("one", first.exchange("one"));

        LineClient second = connect();

        assertFalse(second.endsWithReset(), "expected FIN");
        assertEquals("still", first.exchange("still"));
        assertEquals(1, sim.limitRejections());

        first.close();
        await("both connections gone", () -> sim.openConnections() == 0);
        assertEquals("third", connect().exchange("third"));
    }

    @Test
    void clientLimitResetsTheConnectionBeyondIt() throws IOException {
        sim.clientLimit(1, DeviceSimulator.LimitAction.RESET);
        LineClient first = connect();
        assertEquals("one", first.exchange("one"));

        LineClient second = connect();

        assertTrue(second.endsWithReset(), "expected RST");
        assertEquals("still", first.exchange("still"));
        assertEquals(1, sim.limitRejections());
    }

    @Test
    void clientLimitCanHangTheConnectionBeyondIt() throws IOException {
        sim.clientLimit(1, DeviceSimulator.LimitAction.REFUSE_SILENTLY);
        LineClient first = connect();
        assertEquals("one", first.exchange("one"));

        LineClient second = connect();
        await("the rejection", () -> sim.limitRejections() == 1);
        second.send("hello?\n");
        second.socket().setSoTimeout(300);

        assertThrows(SocketTimeoutException.class, second::read);
        assertEquals("still", first.exchange("still"));
        assertEquals(2, sim.framesReceived(), "the hung connection's frame was never read");
        assertEquals(2, sim.openConnections(), "the hung connection is held open");

        sim.closeAll();
        second.socket().setSoTimeout(LineClient.TIMEOUT_MS);
        second.endsWithReset(); // FIN or RST (its request is still unread): either way it ends
    }

    @Test
    void acceptThenResetAtOnceLeavesExistingConnectionsAlone() throws IOException {
        LineClient old = connect();
        assertEquals("before", old.exchange("before"));
        sim.acceptThenReset(0);

        LineClient fresh = connect();

        SocketException e = assertThrows(SocketException.class, fresh.socket().getInputStream()::read);
        assertTrue(e.getMessage().contains("Connection reset"), e.getMessage());
        assertEquals("after", old.exchange("after"));
        assertEquals(1, sim.acceptResets());
    }

    @Test
    void acceptThenResetLaterLetsTheConnectionWorkUntilThen() throws IOException {
        sim.acceptThenReset(300);
        long connected = System.nanoTime();
        LineClient c = connect();

        assertEquals("quick", c.exchange("quick"));
        assertTrue(c.endsWithReset(), "expected RST");
        assertTrue(msSince(connected) >= 290, "reset after " + msSince(connected) + " ms");
        assertEquals(1, sim.acceptResets());
    }

    @Test
    void partialAnswersArriveInChunks() throws IOException {
        sim.partialAnswers(3, 100);
        LineClient c = connect();
        long sent = System.nanoTime();
        c.send("abcdefghij\n");

        InputStream in = c.socket().getInputStream();
        StringBuilder got = new StringBuilder();
        List<Integer> reads = new ArrayList<>();
        byte[] buf = new byte[64];
        while (got.length() < 11) {
            int n = in.read(buf);
            assertNotEquals(-1, n);
            reads.add(n);
            got.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
        }

        assertEquals("abcdefghij\n", got.toString());
        assertTrue(reads.stream().allMatch(n -> n <= 3), "reads of " + reads);
        assertTrue(msSince(sent) >= 290, "4 chunks 100 ms apart took " + msSince(sent) + " ms");
    }

    @Test
    void partialAnswersKeepEveryFrameWholeAndInOrder() throws IOException {
        sim.partialAnswers(2, 5);
        LineClient c = connect();
        await("the connection", () -> sim.openConnections() == 1);

        c.send("aaaa\nbbbb\ncccc\n");
        sim.pushToAll("push".getBytes(StandardCharsets.US_ASCII));

        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            lines.add(c.readLine());
        }
        assertTrue(lines.remove("push"), "pushed frame arrived whole: " + lines);
        assertEquals(List.of("aaaa", "bbbb", "cccc"), lines);
    }

    @Test
    void strayFrameTricklesOutWithAPartialAnswer() throws IOException {
        sim.partialAnswers(4, 1).strayFrames(1.0, req -> "extra".getBytes(StandardCharsets.US_ASCII));
        LineClient c = connect();

        c.send("answer\n");

        assertEquals("answer", c.readLine());
        assertEquals("extra", c.readLine());
        assertEquals(1, sim.strayFramesSent());
    }

    @Test
    void normalSwitchesEveryMisbehaviourOff() throws IOException {
        LineClient old = connect();
        assertEquals("before", old.exchange("before"));
        sim.behave(Behaviour.HANG).strayFrames(1, req -> req).lateAnswers(1, 10_000).idleCloseMs(5_000)
                .clientLimit(1, DeviceSimulator.LimitAction.RESET).acceptThenReset(0).partialAnswers(1, 1_000)
                .unsolicited(1_000, () -> new byte[] {'x'});
        assertEquals(7, sim.activeSwitches().size(), sim.activeSwitches().toString());

        sim.normal();

        assertTrue(sim.activeSwitches().isEmpty(), sim.activeSwitches().toString());
        assertEquals(Behaviour.ECHO, sim.behaviour());
        assertEquals("hi", old.exchange("hi"));
        assertEquals("also", connect().exchange("also"));
    }

    @Test
    void switchesRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> sim.strayFrames(1.5, req -> req));
        assertThrows(IllegalArgumentException.class, () -> sim.strayFrames(Double.NaN, req -> req));
        assertThrows(NullPointerException.class, () -> sim.strayFrames(0.5, null));
        assertThrows(IllegalArgumentException.class, () -> sim.lateAnswers(0.5, -1));
        assertThrows(IllegalArgumentException.class, () -> sim.idleCloseMs(-1));
        assertThrows(IllegalArgumentException.class, () -> sim.clientLimit(-1, DeviceSimulator.LimitAction.CLOSE));
        assertThrows(NullPointerException.class, () -> sim.clientLimit(1, null));
        assertThrows(IllegalArgumentException.class, () -> sim.partialAnswers(-1, 0));
        assertThrows(NullPointerException.class, () -> sim.unsolicited(10, null));
        assertTrue(sim.activeSwitches().isEmpty());
    }
}
