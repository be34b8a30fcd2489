package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The cluster mode on a real ClickHouse cluster with Keeper ({@link TestCluster}: two shards): runs only where a
 * Docker engine answers, and says why it skipped otherwise.
 */
class ClusterMigrationsTest {

    @Test
    void theMigrationsMakeReplicatedLocalTablesAndDistributedTablesOnEveryNodeAndRecordTheirHistoryOnce() {
        try (ClickHouse second = TestCluster.migrated("cluster_migrations", 1)) {
            Map<String, String> engines = new HashMap<>();
            for (Row r : second.query("SELECT name, engine FROM system.tables WHERE database = currentDatabase()")) {
                engines.put(r.string("name"), r.string("engine"));
            }
            assertThat(engines).containsEntry("llm_usage_local", "ReplicatedMergeTree")
                    .containsEntry("llm_usage", "Distributed")
                    .containsEntry("llm_usage_daily_local", "ReplicatedSummingMergeTree")
                    .containsEntry("llm_usage_daily", "Distributed")
                    .containsEntry("llm_usage_adjustment_local", "ReplicatedMergeTree")
                    .containsEntry("llm_usage_probe", "Null")
                    .containsEntry("tokenledger_installation", "ReplicatedMergeTree")
                    .containsEntry(ClickHouseMigrations.HISTORY_TABLE, "ReplicatedMergeTree")
                    .containsEntry("llm_usage_daily_mv", "MaterializedView");
            List<String> listed = new ClickHouseMigrations(second, TestCluster.TOPOLOGY).listedFiles();
            assertThat(second.query("SELECT count() AS n FROM " + ClickHouseMigrations.HISTORY_TABLE).getFirst().int64("n"))
                    .as("the history, read on the node that did not run the migrations").isEqualTo(listed.size());

            assertThat(new ClickHouseMigrations(second, TestCluster.TOPOLOGY).migrate())
                    .as("run again, through the other node: nothing to do").isEmpty();
        }
    }

    @Test
    void aMonthGoesToTheShardShardOfNamesAndARepeatedTokenIsDroppedThereAndInItsRollup() {
        try (ClickHouse first = TestCluster.migrated("cluster_routing", 0)) {
            Instant december = Instant.parse("2026-12-06T10:00:00Z");
            Instant january = Instant.parse("2027-01-06T10:00:00Z");
            for (int attempt = 0; attempt < 2; attempt++) {
                first.insert(UsageEvents.batch("cluster-routing-202612", calls(december, 7)));
                first.insert(UsageEvents.batch("cluster-routing-202701", calls(january, 5)));
            }
            Map<Long, Long> shardOfMonth = new HashMap<>();
            for (Row r : first.query("SELECT toYYYYMM(event_time) AS month, any(_shard_num) AS shard, count() AS n,"
                    + " uniqExact(_shard_num) AS shards FROM llm_usage GROUP BY month")) {
                assertThat(r.int64("shards")).as("a month lives on one shard").isEqualTo(1);
                shardOfMonth.put(r.int64("month"), r.int64("shard"));
            }
            assertThat(shardOfMonth).containsEntry(202612L, ClickHouseTopology.shardOf(202612, 2) + 1L)
                    .containsEntry(202701L, ClickHouseTopology.shardOf(202701, 2) + 1L);
            assertThat(first.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n")).isEqualTo(12);
            assertThat(first.query("SELECT sum(events) AS n FROM llm_usage_daily").getFirst().int64("n")).isEqualTo(12);
        }
    }

    /** The same calls on every attempt: a token names immutable content. */
    private static List<UsageEvents.UsageEvent> calls(Instant at, int count) {
        List<UsageEvents.UsageEvent> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(new UsageEvents.UsageEvent(new UUID(at.toEpochMilli(), i), at.plusSeconds(i), "w", "u-" + i, "gpt-4o",
                    100 + i, 10, 0, 0, UsageEvents.TINY_PRICE, UsageEvents.TINY_PRICE));
        }
        return calls;
    }
}
