package io.fieldlink.servers;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * FieldLink on WildFly 39 (IronJacamar, built-in ActiveMQ Artemis): the server's own scripts,
 * configured offline with jboss-cli from src/test/wildfly/configure.cli, the rar and the check
 * application dropped into {@code deployments/}.
 */
class WildFlyIT extends PortableAdapterContract {

    private final Path home = Path.of(System.getProperty("it.wildfly.home"));
    private final Path it = Path.of(System.getProperty("it.dir", "target/it"));
    private final Path base = it.resolve("wildfly-base");
    private final int offset = Integer.getInteger("it.wildfly.portOffset", 20100);

    @Override
    String serverName() {
        return "WildFly 39.0.1.Final";
    }

    @Override
    int portA() {
        return Integer.getInteger("it.wildfly.portA", 25040);
    }

    @Override
    int portB() {
        return Integer.getInteger("it.wildfly.portB", 25041);
    }

    @Override
    int portGateway() {
        return Integer.getInteger("it.wildfly.portGateway", 25042);
    }

    @Override
    URI api() {
        return URI.create("http://127.0.0.1:" + (8080 + offset) + "/check/api/");
    }

    @Override
    List<String> failureMarkers() {
        return List.of("started (with errors)", "WFLYCTL0013");
    }

    @Override
    List<String> churnMarkers() {
        return List.of("IJ000612"); // "Destroying connection that could not be successfully matched"
    }

    @Override
    Path serverLog() {
        return base.resolve("log/server.log");
    }

    @Override
    ServerProcess startServer() throws Exception {
        // a fresh server base directory per run: the recipe is applied to an untouched configuration
        ServerProcess.deleteTree(base);
        ServerProcess.copyTree(home.resolve("standalone"), base);
        cli("configure", "--file=" + it.resolve("wildfly/configure.cli"));
        Files.copy(it.resolve("fieldlink.rar"), base.resolve("deployments/fieldlink.rar"));
        Files.copy(Path.of(System.getProperty("it.war")), base.resolve("deployments/fieldlink-check.war"));
        return ServerProcess.start("WildFly", it.resolve("wildfly.log"), Map.of("JBOSS_HOME", home.toString()),
                List.of(home.resolve("bin/standalone.sh").toString(), "-c", "standalone-full.xml",
                        "-Djboss.server.base.dir=" + base, "-Djboss.socket.binding.port-offset=" + offset));
    }

    @Override
    void undeployAdapter() throws Exception {
        // the application depends on the rar's module (jboss-deployment-structure.xml): it goes first
        cli("undeploy", "--connect", "--controller=127.0.0.1:" + (9990 + offset),
                "--commands=/deployment=fieldlink-check.war:undeploy,/deployment=fieldlink.rar:undeploy");
    }

    @Override
    void redeployAdapter() throws Exception {
        cli("redeploy", "--connect", "--controller=127.0.0.1:" + (9990 + offset),
                "--command=/deployment=fieldlink.rar:deploy");
        // no application yet, so no lookup: IronJacamar made the connection factory while deploying,
        // before it started the adapter, and the adapter's start opened its pool (devices watched)
        await("connections to both devices with the rar alone deployed", 30_000, () -> {
            try {
                return LoopbackSockets.establishedTo(portA()) >= 1 && LoopbackSockets.establishedTo(portB()) >= 1;
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        cli("redeploy-app", "--connect", "--controller=127.0.0.1:" + (9990 + offset),
                "--command=/deployment=fieldlink-check.war:deploy");
    }

    private void cli(String name, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(home.resolve("bin/jboss-cli.sh").toString(),
                "-Djboss.server.base.dir=" + base));
        cmd.addAll(List.of(args));
        Path log = it.resolve("wildfly-cli-" + name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JBOSS_HOME", home.toString());
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("jboss-cli " + name + " hung:\n" + Files.readString(log));
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("jboss-cli " + name + " failed (" + p.exitValue() + "):\n" + Files.readString(log));
        }
    }
}
