package io.fieldlink.sample;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configuration mistakes on the real Payara Micro give failures an operator can read: the message
 * names the property, the value and the accepted range.
 */
class ConfigErrorIT {

    @Test
    void badAdapterAndPoolPropertiesFailReadably() throws Exception {
        try (PayaraMicroProcess micro = PayaraMicroProcess.start("config-errors", "--autobindhttp")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            String out = "";
            while (System.nanoTime() < deadline && micro.isAlive()) {
                out = micro.output();
                if (out.contains("ping-connection-pool")) {
                    break;
                }
                Thread.sleep(250);
            }
            assertThat(out).as("the server log").contains("ping-connection-pool");
            assertThat(out).contains("FieldLink resource adapter: ioThreads=0 is invalid; accepted: 1..64");
            assertThat(out).containsPattern("Boot Command deploy failed.*fieldlink-bad-adapter|deploy.*FAILURE");
            assertThat(out).contains("keepAliveCount=0 is invalid; accepted: 1..127");
            assertThat(out).contains("FieldLink notices are disabled: neither noticeConnectionFactory='jms/fieldlink/noticeFactory'");
            assertThat(out).contains("FieldLink resource adapter started");
        }
    }
}
