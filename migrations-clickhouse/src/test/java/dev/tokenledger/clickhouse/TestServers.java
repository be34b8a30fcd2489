package dev.tokenledger.clickhouse;

import java.util.Map;

/**
 * Picks the ClickHouse server for {@link TestClickHouse#server(String)}, once per test JVM: a real server
 * named by {@code TOKENLEDGER_CLICKHOUSE_URL}, else a Testcontainers ClickHouse if a Docker engine answers,
 * else {@link ChdbHttpEndpoint} on the JVM's chDB engine. Prints which one and why.
 */
final class TestServers {
    static final Target TARGET = choose(System.getenv());

    private TestServers() {
    }

    /**
     * Where a server is and how to reach it; each test gets its own database there, dropped on close when
     * the server outlives the test run.
     */
    record Target(String description, ServerClickHouse.Settings settings, boolean sharedServer) {
    }

    private static Target choose(Map<String, String> env) {
        String url = env.get("TOKENLEDGER_CLICKHOUSE_URL");
        if (url != null && !url.isBlank()) {
            ServerClickHouse.Settings settings = ServerClickHouse.Settings.of(url,
                    env.getOrDefault("TOKENLEDGER_CLICKHOUSE_USER", "default"),
                    env.getOrDefault("TOKENLEDGER_CLICKHOUSE_PASSWORD", ""), "default");
            return announce(new Target("the ClickHouse server at " + url + " (TOKENLEDGER_CLICKHOUSE_URL)", settings, true));
        }
        String noDocker;
        try {
            noDocker = ClickHouseContainers.whyUnavailable();
        } catch (LinkageError e) {
            noDocker = "Testcontainers is not on the test classpath (add org.testcontainers:testcontainers-clickhouse)";
        }
        if (noDocker == null) {
            return announce(ClickHouseContainers.start());
        }
        System.out.println("[tokenledger] Testcontainers ClickHouse skipped: " + noDocker);
        ChdbHttpEndpoint endpoint = ChdbHttpEndpoint.start(ChdbEngine.open(TestClickHouse.engineDataDir()));
        ServerClickHouse.Settings settings = ServerClickHouse.Settings.of(endpoint.url(), "default", "", "default")
                .withCompressServerResponse(false); // the endpoint answers uncompressed
        return announce(new Target("chDB behind its HTTP interface at " + endpoint.url() + " (in this JVM)", settings, false));
    }

    private static Target announce(Target target) {
        System.out.println("[tokenledger] server-path ClickHouse tests use " + target.description());
        return target;
    }
}
