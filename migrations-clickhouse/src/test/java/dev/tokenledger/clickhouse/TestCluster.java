package dev.tokenledger.clickhouse;

import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A real ClickHouse cluster for tests, where a Docker engine answers: two shards of one replica each
 * ({@link #CLUSTER}), the first node also running ClickHouse Keeper, each node with the {@code {shard}} and
 * {@code {replica}} macros and {@code internal_replication}. Started once per test JVM. Where no Docker engine
 * answers (this project's build machine has none, and chDB has no Keeper, no Replicated tables and no
 * {@code ON CLUSTER}), {@link #nodes()} aborts the test with the reason, which JUnit reports as skipped and which is
 * printed.
 */
public final class TestCluster {
    public static final String CLUSTER = "ledger";
    public static final ClickHouseTopology TOPOLOGY = ClickHouseTopology.cluster(CLUSTER);

    private TestCluster() {
    }

    /** The nodes' connection settings (shard 1 first) on database {@code default}; skips the test without Docker. */
    public static List<ServerClickHouse.Settings> nodes() {
        String why = Holder.WHY_UNAVAILABLE;
        if (why != null) {
            System.out.println("[tokenledger] ClickHouse cluster test skipped: " + why);
            Assumptions.abort("needs a ClickHouse cluster with Keeper, started with Testcontainers: " + why);
        }
        return Holder.NODES;
    }

    /**
     * A fresh database on the cluster, migrated in cluster mode through the first node, opened on {@code node}
     * (0 or 1): a process may reach the cluster through any node.
     */
    public static ClickHouse migrated(String testName, int node) {
        String database = TestClickHouse.freshDatabaseName(testName);
        try (ClickHouse first = ServerClickHouse.open(nodes().getFirst().withDatabase(database))) {
            new ClickHouseMigrations(first, TOPOLOGY).migrate();
        }
        return ServerClickHouse.open(nodes().get(node).withDatabase(database));
    }

    /** Holder idiom: the containers start on first use, once per JVM, and Testcontainers' reaper stops them. */
    private static final class Holder {
        static final String WHY_UNAVAILABLE = whyUnavailable();
        static final List<ServerClickHouse.Settings> NODES = WHY_UNAVAILABLE == null ? ClickHouseContainers.startCluster(CLUSTER)
                : List.of();

        private static String whyUnavailable() {
            try {
                return ClickHouseContainers.whyUnavailable();
            } catch (LinkageError e) {
                return "Testcontainers is not on the test classpath (add org.testcontainers:testcontainers-clickhouse)";
            }
        }
    }
}
