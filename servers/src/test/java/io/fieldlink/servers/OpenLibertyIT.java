package io.fieldlink.servers;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * FieldLink on Open Liberty 25 (its own connection manager with default settings, the built-in
 * messaging engine): {@code bin/server run} on a fresh user directory holding
 * src/test/liberty/server.xml; FieldLink and its pool are in the included fieldlink.xml, which the
 * test removes and restores to undeploy and redeploy the adapter (Liberty applies config changes
 * to a running server).
 */
class OpenLibertyIT extends PortableAdapterContract {

    private static final String SERVER = "fieldlink-it";
    private final Path home = Path.of(System.getProperty("it.liberty.home"));
    private final Path it = Path.of(System.getProperty("it.dir", "target/it"));
    private final Path usr = it.resolve("liberty-usr");
    private final Path serverDir = usr.resolve("servers").resolve(SERVER);

    @Override
    String serverName() {
        return "Open Liberty 25.0.0.10";
    }

    @Override
    int portA() {
        return Integer.getInteger("it.liberty.portA", 25050);
    }

    @Override
    int portB() {
        return Integer.getInteger("it.liberty.portB", 25051);
    }

    @Override
    int portGateway() {
        return Integer.getInteger("it.liberty.portGateway", 25052);
    }

    @Override
    URI api() {
        return URI.create("http://127.0.0.1:" + Integer.getInteger("it.liberty.httpPort", 28280) + "/check/api/");
    }

    @Override
    List<String> failureMarkers() {
        // application failed to start / resource adapter failed / configuration error
        return List.of("CWWKZ0002E", "CWWKZ0004E", "J2CA7002E", "CWWKG0014E",
                "CWWKL0002E"); // a class that could not be loaded (e.g. by a resource adapter stopping)
    }

    @Override
    Path serverLog() {
        return serverDir.resolve("logs/messages.log");
    }

    @Override
    ServerProcess startServer() throws Exception {
        ServerProcess.deleteTree(usr);
        Files.createDirectories(serverDir.resolve("apps"));
        Files.copy(it.resolve("liberty/server.xml"), serverDir.resolve("server.xml"));
        Files.copy(it.resolve("liberty/fieldlink.xml"), serverDir.resolve("fieldlink.xml"));
        Files.copy(it.resolve("fieldlink.rar"), serverDir.resolve("fieldlink.rar"));
        Files.copy(Path.of(System.getProperty("it.war")), serverDir.resolve("apps/fieldlink-check.war"));
        return ServerProcess.start("Open Liberty", it.resolve("liberty.log"), Map.of("WLP_USER_DIR", usr.toString()),
                List.of(home.resolve("bin/server").toString(), "run", SERVER));
    }

    @Override
    void undeployAdapter() throws Exception {
        Files.move(serverDir.resolve("fieldlink.xml"), serverDir.resolve("fieldlink.xml.off"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    void redeployAdapter() throws Exception {
        Files.move(serverDir.resolve("fieldlink.xml.off"), serverDir.resolve("fieldlink.xml"),
                StandardCopyOption.REPLACE_EXISTING);
    }
}
