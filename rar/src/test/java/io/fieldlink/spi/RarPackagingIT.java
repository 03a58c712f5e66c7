package io.fieldlink.spi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The built rar is deployable on its own: descriptor, the adapter's classes, the API and Netty inside. */
class RarPackagingIT {

    @Test
    void theRarHoldsItsDescriptorAndEverythingItNeeds() throws IOException {
        Path rar;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            rar = files.filter(p -> p.getFileName().toString().matches("fieldlink-rar-.+\\.rar")).findFirst().orElseThrow();
        }
        try (ZipFile zip = new ZipFile(rar.toFile())) {
            List<String> names = zip.stream().map(ZipEntry::getName).toList();
            assertThat(names).contains("META-INF/ra.xml");
            assertThat(names).anyMatch(n -> n.matches("fieldlink-rar-.+\\.jar"));
            assertThat(names).anyMatch(n -> n.matches("fieldlink-api-.+\\.jar"));
            assertThat(names).anyMatch(n -> n.matches("netty-transport-native-epoll-.+-linux-x86_64\\.jar"));
            assertThat(names).anyMatch(n -> n.startsWith("netty-codec-base-"));
            assertThat(names).anyMatch(n -> n.startsWith("slf4j-api-"));
            assertThat(names).noneMatch(n -> n.startsWith("jakarta.resource-api"));
            String raXml = new String(zip.getInputStream(zip.getEntry("META-INF/ra.xml")).readAllBytes());
            assertThat(raXml).contains("<config-property-name>keepAliveIdleSeconds</config-property-name>")
                    .contains("<connectionfactory-interface>io.fieldlink.api.DeviceConnectionFactory</connectionfactory-interface>");
        }
    }
}
