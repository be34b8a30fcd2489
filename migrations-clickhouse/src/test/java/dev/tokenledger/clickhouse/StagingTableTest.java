package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The staging table a partition is rebuilt in: on one node made and swapped for real (chDB); on a cluster its
 * statements as text, from {@code engine_full} as ClickHouse shows a migrated cluster's tables, and parsed by ClickHouse's
 * own grammar ({@code EXPLAIN AST}) — running them needs a cluster with Keeper (the rollup rebuild's cluster tests).
 */
class StagingTableTest {
    private static final ClickHouseTopology CLUSTER = ClickHouseTopology.cluster("ledger");
    /** What system.tables.engine_full shows for the rollup's local half on a migrated cluster ({database} expanded). */
    private static final String LOCAL_ENGINE = "ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/tokenledger/"
            + "llm_usage_daily_local', '{replica}') PARTITION BY toYYYYMM(day) ORDER BY (day, workspace_id, user_id) TTL"
            + " day + toIntervalMonth(25) SETTINGS replicated_deduplication_window = 10000,"
            + " replicated_deduplication_window_seconds = 604800, ttl_only_drop_parts = 1, index_granularity = 8192";
    private static final String DISTRIBUTED_ENGINE = "Distributed('ledger', 'tokenledger', 'llm_usage_daily_local',"
            + " toYYYYMM(day))";

    private static ClickHouse clickHouse;

    @BeforeAll
    static void open() {
        clickHouse = TestClickHouse.embedded("staging_table");
    }

    @AfterAll
    static void close() {
        clickHouse.close();
    }

    @Test
    void onAClusterTheStagingTableIsReplicatedUnderItsOwnKeeperPathWithTheTablesShapeAndSharding() {
        List<String> ddl = StagingTable.clusterDdl(CLUSTER, "tokenledger", "llm_usage_daily", "llm_usage_daily_rebuild_202612",
                LOCAL_ENGINE, DISTRIBUTED_ENGINE);

        assertThat(ddl).containsExactly(
                "CREATE TABLE `tokenledger`.`llm_usage_daily_rebuild_202612_local` ON CLUSTER `ledger` AS"
                        + " `tokenledger`.`llm_usage_daily_local` ENGINE = ReplicatedSummingMergeTree("
                        + "'/clickhouse/tables/{shard}/{database}/llm_usage_daily_rebuild_202612_local', '{replica}')"
                        + " PARTITION BY toYYYYMM(day) ORDER BY (day, workspace_id, user_id) TTL day + toIntervalMonth(25)"
                        + " SETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800,"
                        + " ttl_only_drop_parts = 1, index_granularity = 8192",
                "CREATE TABLE `tokenledger`.`llm_usage_daily_rebuild_202612` ON CLUSTER `ledger` AS"
                        + " `tokenledger`.`llm_usage_daily_rebuild_202612_local` ENGINE = Distributed('ledger', 'tokenledger',"
                        + " 'llm_usage_daily_rebuild_202612_local', toYYYYMM(day))");
    }

    @Test
    void onAClusterTheSwapWaitsForEveryReplicaOfTheStagedPartsAndRunsOnTheLocalTablesOfEveryShard() {
        assertThat(StagingTable.swapDdl(CLUSTER, "tokenledger", "llm_usage_daily", "s", "202612")).containsExactly(
                "SYSTEM SYNC REPLICA ON CLUSTER `ledger` `tokenledger`.`s_local`",
                "ALTER TABLE `tokenledger`.`llm_usage_daily_local` ON CLUSTER `ledger` REPLACE PARTITION ID '202612'"
                        + " FROM `tokenledger`.`s_local`");
        assertThat(StagingTable.dropDdl(CLUSTER, "tokenledger", "s")).containsExactly(
                "DROP TABLE IF EXISTS `tokenledger`.`s` ON CLUSTER `ledger` SYNC",
                "DROP TABLE IF EXISTS `tokenledger`.`s_local` ON CLUSTER `ledger` SYNC");
    }

    @Test
    void everyClusterStatementParsesInClickHousesOwnGrammar() {
        List<String> all = new ArrayList<>(StagingTable.clusterDdl(CLUSTER, "tokenledger", "llm_usage_daily", "s",
                LOCAL_ENGINE, DISTRIBUTED_ENGINE));
        all.addAll(StagingTable.swapDdl(CLUSTER, "tokenledger", "llm_usage_daily", "s", "202612"));
        all.addAll(StagingTable.dropDdl(CLUSTER, "tokenledger", "s"));

        for (String statement : all) {
            assertThat(clickHouse.query("EXPLAIN AST " + statement)).as(statement).isNotEmpty();
        }
    }

    @Test
    void aTableTheMigrationsDidNotMakeForAClusterIsRefusedNamingIt() {
        assertThatThrownBy(() -> StagingTable.clusterDdl(CLUSTER, "tokenledger", "llm_usage_daily", "s",
                "SummingMergeTree PARTITION BY toYYYYMM(day) ORDER BY day", DISTRIBUTED_ENGINE))
                .hasMessageContaining("llm_usage_daily_local is not a Replicated*MergeTree table");
        assertThatThrownBy(() -> StagingTable.clusterDdl(CLUSTER, "tokenledger", "llm_usage_daily", "s", LOCAL_ENGINE,
                "Distributed('ledger', 'tokenledger', 'other_local', toYYYYMM(day))"))
                .hasMessageContaining("llm_usage_daily is not a Distributed table over llm_usage_daily_local");
    }

    @Test
    void onOneNodeAPartitionBuiltInTheStagingTableReplacesTheTablesAndTheStagingTableIsDroppedAfter() {
        clickHouse.execute("CREATE TABLE rolled (day Date, k String, n UInt64, PROJECTION by_k (SELECT k, sum(n) GROUP BY k))"
                + " ENGINE = SummingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, k)"
                + " SETTINGS deduplicate_merge_projection_mode = 'rebuild'");
        clickHouse.execute("INSERT INTO rolled VALUES ('2026-11-03', 'a', 5), ('2026-12-01', 'a', 7), ('2026-12-02', 'b', 1)");

        try (StagingTable staging = StagingTable.create(clickHouse, ClickHouseTopology.SINGLE_NODE, "rolled", "rolled_rebuild")) {
            clickHouse.execute("INSERT INTO " + staging.name() + " VALUES ('2026-12-01', 'a', 70)");
            staging.replacePartition("202612");
        }

        assertThat(clickHouse.query("SELECT toString(day) AS d, k, n FROM rolled ORDER BY day")).extracting(
                r -> r.string("d") + " " + r.string("k") + " " + r.int64("n"))
                .containsExactly("2026-11-03 a 5", "2026-12-01 a 70");
        assertThat(clickHouse.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'rolled_rebuild'"))
                .isEmpty();
        assertThat(ClickHouseTopology.migratedAs(clickHouse, "rolled")).isEqualTo(ClickHouseTopology.SINGLE_NODE);
    }

    /**
     * The cluster form makes the staging table {@code AS} the local table with that table's engine spelled out (under
     * another Keeper path). ClickHouse copies columns, indices and projections from the {@code AS} table when the
     * engine is a MergeTree, and {@code REPLACE PARTITION} accepts only tables with the same projections: shown here
     * with the engine as {@code engine_full} gives it, on one node.
     */
    @Test
    void aTableMadeAsAnotherWithItsEngineSpelledOutKeepsItsProjectionsAndTakesPartItsPartitions() {
        clickHouse.execute("CREATE TABLE shaped (day Date, k String, n UInt64, PROJECTION by_k (SELECT k, sum(n) GROUP BY k))"
                + " ENGINE = SummingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, k)"
                + " SETTINGS deduplicate_merge_projection_mode = 'rebuild'");
        String engine = clickHouse.query("SELECT engine_full FROM system.tables WHERE database = currentDatabase()"
                + " AND name = 'shaped'").getFirst().string("engine_full");

        clickHouse.execute("CREATE TABLE shaped_copy AS shaped ENGINE = " + engine);
        clickHouse.execute("INSERT INTO shaped_copy VALUES ('2026-12-01', 'a', 3)");
        clickHouse.execute("ALTER TABLE shaped REPLACE PARTITION ID '202612' FROM shaped_copy");

        assertThat(clickHouse.query("SHOW CREATE TABLE shaped_copy").getFirst().string("statement")).contains("PROJECTION by_k");
        assertThat(clickHouse.query("SELECT sum(n) AS n FROM shaped").getFirst().int64("n")).isEqualTo(3);
    }
}
