package io.fieldlink.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Established TCP connections on this machine whose remote end is a given port, read from
 * /proc/net/tcp{,6}: the client side of a server's connections to a simulated device. (The
 * simulator's own count cannot tell: after a pulled cable its ends of the dead connections never
 * hear of their death, because nothing reaches them.)
 */
final class LoopbackSockets {

    private LoopbackSockets() {
    }

    static int establishedTo(int remotePort) throws IOException {
        if (!Files.exists(Path.of("/proc/net/tcp"))) {
            throw new IllegalStateException("no /proc/net/tcp: the container tests need Linux");
        }
        int n = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            for (String line : Files.readAllLines(p)) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st ...; addresses are HEX_IP:HEX_PORT, st 01 = ESTABLISHED
                if (f.length > 3 && f[2].contains(":") && f[3].equals("01")) {
                    int port = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
                    if (port == remotePort) {
                        n++;
                    }
                }
            }
        }
        return n;
    }
}
