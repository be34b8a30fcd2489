package dev.tokenledger.clickhouse;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.clickhouse.ClickHouseContainer;

/**
 * The Testcontainers path of {@link TestServers}: one ClickHouse server container per test JVM, used where a
 * Docker engine exists (developer machines, hosted CI). Kept in its own class so that a module without
 * Testcontainers on its test classpath only loses this path, with a printed reason.
 */
final class ClickHouseContainers {
    /** The server line tokenledger targets; bump deliberately. */
    static final String IMAGE = "clickhouse/clickhouse-server:25.8";

    private ClickHouseContainers() {
    }

    /** Null if a container can be started, else why not. */
    static String whyUnavailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable()
                    ? null
                    : "no Docker engine answers (Testcontainers found no working Docker environment)";
        } catch (NoClassDefFoundError e) {
            return "Testcontainers is not on the test classpath (add org.testcontainers:testcontainers-clickhouse)";
        }
    }

    static TestServers.Target start() {
        ClickHouseContainer container = new ClickHouseContainer(IMAGE);
        container.start(); // stopped by Testcontainers' reaper when the JVM exits
        ServerClickHouse.Settings settings = ServerClickHouse.Settings.of(container.getHttpUrl(),
                container.getUsername(), container.getPassword(), "default");
        return new TestServers.Target("a Testcontainers " + IMAGE + " at " + container.getHttpUrl(), settings, false);
    }
}
