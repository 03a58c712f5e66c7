package io.fieldlink.sample;

import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code fieldlink.sample.requests=off}: the sample's raw request endpoint refuses every request,
 * even the page's own, with a 403 that says which setting; the health view still answers and the
 * device never sees a frame.
 */
class RequestsOffIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void theRequestEndpointSwitchedOffRefusesEvenThePage() throws Exception {
        int httpPort = Integer.getInteger("it.httpPort", 28080);
        Path properties = Path.of(System.getProperty("it.dir", "target/it"), "requests-off.properties");
        try (DeviceSimulator plc = DeviceSimulator.start(SimFraming.line(), "127.0.0.1",
                Integer.getInteger("it.requestsOffPort", 25031), 1);
             PayaraMicroProcess micro = PayaraMicroProcess.start("requests-off", "--port", String.valueOf(httpPort),
                     "--systemproperties", properties.toString())) {
            URI base = URI.create("http://127.0.0.1:" + httpPort + "/");
            awaitReady(base.resolve("api/devices"), micro);

            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve("api/devices/plc-1/request"))
                    .header("Content-Type", "application/json").header("X-FieldLink-Request", "1")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"READ V1\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            assertThat(r.body()).contains("fieldlink.sample.requests");
            assertThat(plc.framesReceived()).as("frames that reached the device").isZero();
            assertThat(HTTP.send(HttpRequest.newBuilder(base.resolve("api/devices")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }

    private static void awaitReady(URI devices, PayaraMicroProcess micro) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!micro.isAlive()) {
                throw new AssertionError("Payara Micro exited:\n" + micro.output());
            }
            String out = micro.output();
            if (out.contains("Boot Command deploy failed")) {
                throw new AssertionError("a deployment failed; see " + micro.log());
            }
            if (out.contains(" ready in ")) {
                try {
                    if (HTTP.send(HttpRequest.newBuilder(devices).build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode() == 200) {
                        return;
                    }
                } catch (java.io.IOException notYet) {
                    // not listening yet
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the sample did not come up; see " + micro.log());
    }
}
