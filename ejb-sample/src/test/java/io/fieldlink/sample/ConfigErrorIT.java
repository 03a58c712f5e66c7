package io.fieldlink.sample;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configuration mistakes on the real Payara Micro give failures an operator can read: the message
 * names the property, the value and the accepted range. Missing JMS resources are not one: the
 * adapter starts and says which JNDI names it waits for.
 */
class ConfigErrorIT {

    /** No JMS resources on this server: the notice thread says, once, what it waits for. */
    private static final String NOTICES_WAITING = "FieldLink notices are waiting for JNDI: neither "
            + "noticeConnectionFactory='jms/fieldlink/noticeFactory' nor noticeTopic='jms/fieldlink/notices' is bound";

    @Test
    void badAdapterAndPoolPropertiesFailReadably() throws Exception {
        try (PayaraMicroProcess micro = PayaraMicroProcess.start("config-errors", "--autobindhttp")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            String out = "";
            while (System.nanoTime() < deadline && micro.isAlive()) {
                out = micro.output();
                // the notices WARN comes from the adapter's own thread: wait for it too
                if (out.contains("ping-connection-pool") && out.contains(NOTICES_WAITING)) {
                    break;
                }
                Thread.sleep(250);
            }
            assertThat(out).as("the server log").contains("ping-connection-pool");
            assertThat(out).contains("FieldLink resource adapter: ioThreads=0 is invalid; accepted: 1..64");
            assertThat(out).containsPattern("Boot Command deploy failed.*fieldlink-bad-adapter|deploy.*FAILURE");
            assertThat(out).contains("keepAliveCount=0 is invalid; accepted: 1..127");
            assertThat(out).contains(NOTICES_WAITING); // a deployment-order issue, never a failed start
            assertThat(out).contains("FieldLink resource adapter started");
        }
    }
}
