package io.fieldlink.testsupport;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.command.ActiveMQTopic;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real ActiveMQ broker in this JVM, on a loopback TCP port, with a persistent store on disk so
 * that it can be stopped and started again (a broker outage) without losing durable subscriptions.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private final Path dataDir;
    private final int port;
    private BrokerService broker;

    public EmbeddedBroker() throws Exception {
        this.dataDir = Files.createTempDirectory("fieldlink-broker");
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
        start();
    }

    public synchronized void start() throws Exception {
        BrokerService b = new BrokerService();
        b.setBrokerName("fieldlink-test");
        b.setDataDirectoryFile(dataDir.toFile());
        b.setPersistent(true);
        b.setUseJmx(false);
        b.setAdvisorySupport(false);
        b.addConnector("tcp://127.0.0.1:" + port);
        b.start();
        b.waitUntilStarted();
        broker = b;
    }

    public synchronized void stop() throws Exception {
        if (broker != null) {
            broker.stop();
            broker.waitUntilStopped();
            broker = null;
        }
    }

    /** A factory that fails at once while the broker is down (what the publisher should cope with). */
    public ActiveMQConnectionFactory plainFactory() {
        return new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port);
    }

    /** A factory whose connections ride out broker restarts (for test subscribers). */
    public ActiveMQConnectionFactory failoverFactory() {
        return new ActiveMQConnectionFactory("failover:(tcp://127.0.0.1:" + port
                + ")?initialReconnectDelay=50&maxReconnectDelay=500");
    }

    public static ActiveMQTopic topic() {
        return new ActiveMQTopic("fieldlink.notices");
    }

    @Override
    public void close() throws Exception {
        stop();
        try (var files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp files only
        }
    }
}
