package io.fieldlink.sample;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configuration mistakes on the real Payara Micro give failures an operator can read: the message
 * names the property, the value and the accepted range.
 */
class ConfigErrorIT {

    @Test
    void badAdapterAndPoolPropertiesFailReadably() throws Exception {
        Path dir = Path.of(System.getProperty("it.dir", "target/it"));
        deleteTree(dir.resolve("config-errors-root")); // a fresh server: no deployments left from an earlier run
        Path log = dir.resolve("config-errors.log");
        Process micro = new ProcessBuilder("java", "-jar", dir.resolve("payara-micro.jar").toString(), "--nocluster",
                "--autobindhttp", "--rootdir", dir.resolve("config-errors-root").toString(),
                "--postbootcommandfile", dir.resolve("config-errors.asadmin").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            String out = "";
            while (System.nanoTime() < deadline && micro.isAlive()) {
                out = Files.readString(log);
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
        } finally {
            micro.destroy();
            if (!micro.waitFor(30, TimeUnit.SECONDS)) {
                micro.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        assertThat(new File(log.toString())).exists();
    }

    static void deleteTree(Path root) throws java.io.IOException {
        if (Files.exists(root)) {
            try (var paths = Files.walk(root)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
