package io.fieldlink.sample;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a process listens on, read from Linux's /proc: its TCP sockets in LISTEN and its bound UDP
 * sockets, as {@code tcp 127.0.0.1:8080}. Root (or the process's own user) can read another
 * process's file descriptors.
 */
final class LoopbackSockets {

    private static final String TCP_LISTEN = "0A";

    private LoopbackSockets() {
    }

    /** Every socket of the process that accepts connections or datagrams from somewhere. */
    static List<String> listening(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor went away while we listed them
                }
            }
        }
        List<String> found = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6", "udp", "udp6")) {
            Path file = Path.of("/proc", String.valueOf(pid), "net", table);
            if (!Files.exists(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                boolean bound = table.startsWith("udp") || f[3].equals(TCP_LISTEN);
                if (bound && inodes.contains(f[9])) {
                    found.add(table.substring(0, 3) + " " + address(f[1]));
                }
            }
        }
        return found;
    }

    /** {@code tcp 127.0.0.1:8080}, {@code tcp [::1]:8080}, {@code tcp [::ffff:127.0.0.1]:8080} are loopback. */
    static boolean isLoopback(String socket) {
        String host = socket.substring(4, socket.lastIndexOf(':')).replace("[", "").replace("]", "");
        try {
            return InetAddress.getByName(host).isLoopbackAddress() || host.startsWith("::ffff:127.");
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** /proc's hex {@code 0100007F:1F90} (each 32-bit word in host byte order, little endian here). */
    private static String address(String hex) throws UnknownHostException {
        String[] hp = hex.split(":");
        byte[] raw = new byte[hp[0].length() / 2];
        for (int word = 0; word < raw.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = word * 8 + (3 - b) * 2;
                raw[word * 4 + b] = (byte) Integer.parseInt(hp[0].substring(at, at + 2), 16);
            }
        }
        InetAddress a = InetAddress.getByAddress(raw);
        String host = a.getHostAddress();
        if (raw.length == 16 && raw[10] == (byte) 0xff && raw[11] == (byte) 0xff && isZero(raw, 10)) {
            host = "::ffff:" + (raw[12] & 0xff) + "." + (raw[13] & 0xff) + "." + (raw[14] & 0xff) + "." + (raw[15] & 0xff);
        }
        return (raw.length == 16 ? "[" + host + "]" : host) + ":" + Integer.parseInt(hp[1], 16);
    }

    private static boolean isZero(byte[] raw, int upTo) {
        for (int i = 0; i < upTo; i++) {
            if (raw[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
