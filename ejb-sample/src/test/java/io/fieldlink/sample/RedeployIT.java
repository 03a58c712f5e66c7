package io.fieldlink.sample;

import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Undeploying and redeploying the adapter and the sample on the real Payara Micro leaves one set of
 * FieldLink threads (no second event loop, health or notice thread) and a working pool. (That a
 * stopped adapter closes every socket is proved outside the container by LifecycleTest: post-boot
 * commands cannot hold a connection open across the undeploy.)
 */
class RedeployIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void redeployingTheAdapterAndTheSampleLeavesOneSetOfThreads() throws Exception {
        int httpPort = Integer.getInteger("it.httpPort", 28080);
        try (DeviceSimulator plc = DeviceSimulator.start(SimFraming.line(), "127.0.0.1",
                Integer.getInteger("it.redeployPort", 25030), 1);
             PayaraMicroProcess micro = PayaraMicroProcess.start("redeploy", "--port", String.valueOf(httpPort))) {
            URI base = URI.create("http://127.0.0.1:" + httpPort + "/");
            awaitUp(base.resolve("api/devices"), micro);
            String out = micro.output();
            assertThat(out).doesNotContain("Boot Command undeploy failed").doesNotContain("Boot Command deploy failed");
            assertThat(out).contains("FieldLink resource adapter stopped: every device connection closed");
            // the first incarnation really talked to the device (its ping connected)
            assertThat(plc.connectionsAccepted()).as("connections the first adapter made").isPositive();

            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve("api/devices/plc-1/request"))
                    .header("Content-Type", "application/json").header("X-FieldLink-Request", "1")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"after redeploy\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

            JsonObject diag = Json.createReader(new StringReader(HTTP.send(HttpRequest.newBuilder(
                    base.resolve("api/diagnostics")).build(), HttpResponse.BodyHandlers.ofString()).body())).readObject();
            List<String> threads = diag.getJsonArray("adapterThreads").getValuesAs(v -> v.toString());
            // 2 I/O + health + notices: one set, whatever happened before
            assertThat(threads).as("FieldLink threads after two deployments: " + threads).hasSizeLessThanOrEqualTo(4);
            // threads start lazily; a second adapter incarnation would show up as a second set
            assertThat(threads.stream().filter(t -> t.contains("fieldlink-notices")).count()).as(threads.toString())
                    .isEqualTo(1);
            assertThat(threads.stream().filter(t -> t.contains("fieldlink-health")).count()).as(threads.toString())
                    .isLessThanOrEqualTo(1);
            assertThat(threads.stream().filter(t -> t.contains("fieldlink-io")).count()).as(threads.toString())
                    .isBetween(1L, 2L);
            assertThat(plc.openConnections()).as("sockets open at the device").isLessThanOrEqualTo(2);
        }
    }

    private static void awaitUp(URI devices, PayaraMicroProcess micro) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!micro.isAlive()) {
                throw new AssertionError("Payara Micro exited:\n" + micro.output());
            }
            String out = micro.output();
            if (out.contains("Boot Command deploy failed")) {
                throw new AssertionError("a deployment failed; see " + micro.log());
            }
            // HTTP answers while post-boot commands still run: wait for the server to say it is ready
            if (!out.contains(" ready in ")) {
                Thread.sleep(250);
                continue;
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(devices).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the sample did not come up; see " + micro.log());
    }
}
