package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseTopology;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.clickhouse.TestCluster;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The rollup rebuild on a real ClickHouse cluster with Keeper ({@link TestCluster}: two shards): a month that disagrees
 * with llm_usage is rebuilt on its shard through a replicated staging table and {@code REPLACE PARTITION … ON CLUSTER},
 * and the staging tables are gone afterwards on every node. Runs only where a Docker engine answers; skipped with the
 * reason otherwise. (The scheduled reconcile's rebuild after a missed insert is in {@link ClusterExactlyOnceTest}, the
 * erasure's in {@link ClusterErasureTest}.)
 */
class ClusterRollupRepairTest {
    private PostgresDatabase postgres;
    private ClickHouse clickHouse;

    @BeforeAll
    static void aClusterAnswers() {
        TestCluster.nodes();
    }

    @BeforeEach
    void start(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = TestCluster.migrated(name, 0);
    }

    @AfterEach
    void stop() {
        clickHouse.close();
        postgres.close();
    }

    @Test
    void aRollupMonthThatDisagreesWithLlmUsageIsRebuiltOnItsShardAndTheStagingTablesAreGoneOnEveryNode() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        int month = today.getYear() * 100 + today.getMonthValue();
        clickHouse.execute("INSERT INTO llm_usage_daily (day, workspace_id, user_id, events) SETTINGS"
                + " distributed_foreground_insert = 1 VALUES ('" + today + "', 'w', 'u', 3)");
        assertThat(clickHouse.query("SELECT count() AS n FROM llm_usage_daily_local").getFirst().int64("n"))
                .as("the row is on the shard of the node this test reads through only if shardOf says so")
                .isEqualTo(ClickHouseTopology.shardOf(month, 2) == 0 ? 1 : 0);

        RollupRepair.Outcome outcome = new RollupRepair(postgres.dataSource(), clickHouse, InstantSource.system())
                .repairMonth(month, "test");

        assertThat(outcome.rebuilt()).as(outcome.detail()).isTrue();
        assertThat(outcome.ok()).isTrue();
        assertThat(clickHouse.query("SELECT count() AS n FROM llm_usage_daily").getFirst().int64("n"))
                .as("llm_usage holds nothing of the month, so neither does its rebuilt rollup").isZero();
        for (int node = 0; node < 2; node++) {
            try (ClickHouse each = ServerClickHouse.open(TestCluster.nodes().get(node).withDatabase(clickHouse.database()))) {
                assertThat(each.query("SELECT name FROM system.tables WHERE database = currentDatabase()"
                        + " AND name LIKE '%rebuild%'")).as("node " + node).isEmpty();
            }
        }
    }
}
