package io.fieldlink.simulator;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulator's HTTP control port: the misbehaviour switches, and strict parsing of their parameters. */
class ControlPortTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private DeviceSimulator sim;
    private HttpServer control;

    @BeforeEach
    void start() throws IOException {
        SimulatorMain main = new SimulatorMain();
        sim = main.add("plc-1", DeviceSimulator.start(SimFraming.line()));
        control = main.control(0);
    }

    @AfterEach
    void stop() {
        control.stop(0);
        sim.close();
    }

    private HttpResponse<String> post(String pathAndQuery) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + control.getAddress().getPort() + "/devices/plc-1/" + pathAndQuery);
        return HTTP.send(HttpRequest.newBuilder(uri).header(SimulatorMain.GUARD_HEADER, "1")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void assertStatus(int status, String pathAndQuery, String bodyPart) throws Exception {
        HttpResponse<String> r = post(pathAndQuery);
        assertEquals(status, r.statusCode(), pathAndQuery + " -> " + r.body());
        assertTrue(r.body().contains(bodyPart), pathAndQuery + " -> " + r.body());
    }

    @Test
    void everySwitchCanBeSetAndListed() throws Exception {
        assertStatus(200, "idle-close?ms=30000", "\"idle-close\":\"ms=30000\"");
        assertStatus(200, "client-limit?n=2&action=refuse-silently", "\"client-limit\":\"n=2 action=REFUSE_SILENTLY\"");
        assertStatus(200, "client-limit?n=3", "\"client-limit\":\"n=3 action=CLOSE\"");
        assertStatus(200, "accept-reset?ms=0", "\"accept-reset\":\"ms=0\"");
        assertStatus(200, "accept-reset?ms=-1", "\"switches\":{");
        assertStatus(200, "stray?p=0.25", "\"stray\":\"p=0.25\"");
        assertStatus(200, "late?p=1&ms=4000", "\"late\":\"p=1.0 ms=4000\"");
        assertStatus(200, "partial?bytes=2&gapMs=50", "\"partial\":\"bytes=2 gapMs=50\"");
        assertStatus(200, "partial?bytes=2", "\"partial\":\"bytes=2 gapMs=0\"");
        assertStatus(200, "seed?value=-42", "\"injected\":{");
        assertEquals(Map.of("idle-close", "ms=30000", "client-limit", "n=3 action=CLOSE", "stray", "p=0.25",
                "late", "p=1.0 ms=4000", "partial", "bytes=2 gapMs=0"), sim.activeSwitches());

        assertStatus(200, "normal", "\"switches\":{}");
        assertTrue(sim.activeSwitches().isEmpty());
    }

    @Test
    void unsolicitedHexFrameReachesAClient() throws Exception {
        try (LineClient c = new LineClient(sim)) {
            LineClient.await("the connection", () -> sim.openConnections() == 1);
            assertStatus(200, "unsolicited?ms=5&hex=6869", "\"unsolicited\":\"ms=5\"");
            assertEquals("hi", c.readLine());
            assertStatus(200, "unsolicited?ms=0", "\"switches\":{}");
        }
    }

    @Test
    void badParametersGetA400AndChangeNothing() throws Exception {
        assertStatus(400, "idle-close?ms=abc", "ms must be a whole number, not 'abc'");
        assertStatus(400, "idle-close?ms=1.5", "ms must be a whole number");
        assertStatus(400, "idle-close?ms=-5", "ms must be within [0, ");
        assertStatus(400, "idle-close?ms=99999999999999999999", "ms must be a whole number");
        assertStatus(400, "idle-close?ms=9999999999999999999", "ms must be within");
        assertStatus(400, "idle-close", "ms is missing");
        assertStatus(400, "idle-close?ms=100&ms=200", "ms is given more than once");
        assertStatus(400, "idle-close?ms=100&msec=5", "idle-close does not take msec");
        assertStatus(400, "idle-close?ms", "parameters are name=value");
        assertStatus(400, "client-limit?n=2&action=explode", "action must be close, reset or refuse-silently");
        assertStatus(400, "client-limit?n=3000000000", "n must be within");
        assertStatus(400, "stray?p=1.5", "p must be within [0, 1]");
        assertStatus(400, "stray?p=NaN", "p must be a probability");
        assertStatus(400, "stray?p=1e-3", "p must be a probability");
        assertStatus(400, "stray?p=0.5&hex=abc", "hex must be pairs of hex digits");
        assertStatus(400, "late?p=0.5", "ms is missing");
        assertStatus(400, "unsolicited?ms=10&hex=zz", "hex must be pairs of hex digits");
        assertStatus(400, "partial?bytes=4&gapMs=x", "gapMs must be a whole number");
        assertStatus(400, "seed?value=", "value must be a whole number");
        assertStatus(400, "hang?now=1", "hang does not take now");
        assertStatus(400, "normal?all=yes", "normal does not take all");
        assertTrue(sim.activeSwitches().isEmpty(), sim.activeSwitches().toString());
        assertEquals(Behaviour.ECHO, sim.behaviour());
    }

    @Test
    void unknownActionsAndDevicesAre404() throws Exception {
        assertStatus(404, "explode", "unknown action explode");
        URI other = URI.create("http://127.0.0.1:" + control.getAddress().getPort() + "/devices/plc-9/hang");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(other).header(SimulatorMain.GUARD_HEADER, "1")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode());
    }

    @Test
    void aWebPageCannotFlipASwitch() throws Exception {
        URI hang = URI.create("http://127.0.0.1:" + control.getAddress().getPort() + "/devices/plc-1/hang");
        // what any page can make a browser send without asking: no custom header
        HttpResponse<String> bare = HTTP.send(HttpRequest.newBuilder(hang).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, bare.statusCode(), bare.body());
        assertTrue(bare.body().contains("X-FieldLink-Request"), bare.body());
        // a browser's request carries an Origin
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(hang).header(SimulatorMain.GUARD_HEADER, "1")
                .header("Origin", "http://127.0.0.1:8080").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, page.statusCode(), page.body());
        // DNS rebinding: a foreign name pointed at 127.0.0.1
        assertTrue(raw("POST /devices/plc-1/hang", "evil.example:" + control.getAddress().getPort())
                .startsWith("HTTP/1.1 403"));
        assertTrue(raw("GET /devices", "evil.example").startsWith("HTTP/1.1 403"));
        assertTrue(raw("GET /devices", "localhost:" + control.getAddress().getPort()).startsWith("HTTP/1.1 200"));
        assertEquals(Behaviour.ECHO, sim.behaviour());
    }

    /** A request written by hand, for a Host header HttpClient will not send; returns the status line. */
    private String raw(String requestLine, String host) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", control.getAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: " + host + "\r\n" + SimulatorMain.GUARD_HEADER
                    + ": 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void classicActionsStillWork() throws Exception {
        assertStatus(200, "hang", "\"behaviour\":\"HANG\"");
        assertStatus(200, "echo", "\"behaviour\":\"ECHO\"");
        assertStatus(200, "off", "\"listening\":false");
        assertStatus(200, "on", "\"listening\":true");
    }
}
