package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseTopology;
import dev.tokenledger.clickhouse.Identifiers;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.TestClickHouse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a cluster the rollup rebuild cannot read a view's source the way the view does (the shard's local table) nor
 * filter it with {@code additional_table_filters} on the Distributed table (whether that runs before or after the
 * shards aggregate is the engine's choice): it replaces the source with a subquery of the month's rows read through the
 * Distributed table ({@link RollupRepair#fromDistributedSource}). Checked here on one node, where the Distributed
 * table's part is played by the table itself: for every view of the rollup, the cluster form of its SELECT gives the
 * rows the single-node rebuild gives, over a table holding two months.
 */
class RollupRepairClusterFormTest {
    private static final ClickHouseTopology CLUSTER = ClickHouseTopology.cluster("ledger");
    private static final String DECEMBER = "event_time >= '2026-12-01 00:00:00' AND event_time < '2027-01-01 00:00:00'";
    private static ClickHouse clickHouse;

    @BeforeAll
    static void twoMonthsOfUsageAndAdjustments() {
        clickHouse = TestClickHouse.embedded("rollup_cluster_form");
        clickHouse.execute("INSERT INTO llm_usage (event_id, event_time, user_id, workspace_id, agent_id, model, provider,"
                + " prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_status, image_prompt_tokens,"
                + " web_search_requests, web_search_cost, batch_id) VALUES"
                + " (generateUUIDv4(), '2026-11-30 23:59:59.999', 'u-1', 'w-1', 'a', 'gpt-4o', 'openai', 10, 5, 15, 0.25, 'priced', 0, 0, NULL, 1),"
                + " (generateUUIDv4(), '2026-12-01 00:00:00.000', 'u-1', 'w-1', 'a', 'gpt-4o', 'openai', 2000, 5, 2005, 0.5, 'priced', 765, 0, NULL, 1),"
                + " (generateUUIDv4(), '2026-12-01 10:00:00.000', 'u-2', 'w-1', 'b', 'claude-sonnet-4-5', 'anthropic', 7, 3, 10, 0.125, 'priced', 0, 2, 0.02, 2),"
                + " (generateUUIDv4(), '2026-12-31 23:59:59.999', 'u-2', 'w-2', 'b', 'gpt-4o', 'openai', 1, 1, 2, NULL, 'unpriced', 0, 0, NULL, 2),"
                + " (generateUUIDv4(), '2027-01-01 00:00:00.000', 'u-3', 'w-2', 'b', 'gpt-4o', 'openai', 4, 4, 8, 0.01, 'priced', 0, 1, 0.01, 3)");
        clickHouse.execute("INSERT INTO llm_usage_adjustment (event_id, event_time, user_id, workspace_id, agent_id, model,"
                + " provider, input_cost, image_cost, web_search_cost) VALUES"
                + " (generateUUIDv4(), '2026-11-15 00:00:00.000', 'u-1', 'w-1', 'a', 'gpt-4o', 'openai', 0.1, 0, 0),"
                + " (generateUUIDv4(), '2026-12-01 00:00:00.000', 'u-1', 'w-1', 'a', 'gpt-4o', 'openai', -0.05, 0.01, 0),"
                + " (generateUUIDv4(), '2026-12-02 00:00:00.000', 'u-2', 'w-1', 'b', 'claude-sonnet-4-5', 'anthropic', 0.2, 0, 0.005)");
    }

    @AfterAll
    static void close() {
        clickHouse.close();
    }

    @Test
    void everyViewsClusterFormReadsTheMonthThroughTheDistributedTableAndGivesTheSameRowsAsTheSingleNodeRebuild() {
        for (Rollups.Feed feed : Rollups.DAILY.feeds()) {
            String select = asSelect(feed.view());
            String db = clickHouse.database();
            String onACluster = select.replace(db + "." + feed.source() + " ", db + "." + feed.source() + "_local ");
            assertThat(onACluster).as(feed.view() + " reads " + feed.source()).isNotEqualTo(select);

            String clusterForm = RollupRepair.fromDistributedSource(onACluster, feed.source(), CLUSTER, DECEMBER);

            assertThat(clusterForm).contains("(SELECT * FROM " + db + "." + feed.source() + " WHERE " + DECEMBER + ")")
                    .doesNotContain(feed.source() + "_local");
            List<String> single = rows("SELECT * FROM (" + select + ") ORDER BY ALL SETTINGS additional_table_filters = {'"
                    + feed.source() + "': " + Identifiers.stringLiteral(DECEMBER) + "}");
            List<String> cluster = rows("SELECT * FROM (" + clusterForm + ") ORDER BY ALL");
            assertThat(cluster).as(feed.view()).isEqualTo(single);
        }
        assertThat(rows("SELECT * FROM (" + asSelect("llm_usage_daily_mv") + ") ORDER BY ALL SETTINGS"
                + " additional_table_filters = {'llm_usage': " + Identifiers.stringLiteral(DECEMBER) + "}"))
                .as("December's usage: three groups").hasSize(3);
    }

    @Test
    void aSelectThatDoesNotReadTheLocalSourceOnceIsRefused() {
        assertThatThrownBy(() -> RollupRepair.fromDistributedSource("SELECT 1 FROM db.other_local", "llm_usage", CLUSTER,
                DECEMBER)).hasMessageContaining("does not read llm_usage_local");
        assertThatThrownBy(() -> RollupRepair.fromDistributedSource("SELECT 1 FROM db.llm_usage_local UNION ALL SELECT 1"
                + " FROM db.llm_usage_local", "llm_usage", CLUSTER, DECEMBER)).hasMessageContaining("twice");
        assertThat(RollupRepair.fromDistributedSource("SELECT day FROM `db`.`llm_usage_local` AS u GROUP BY day",
                "llm_usage", CLUSTER, "x = 1")).isEqualTo("SELECT day FROM (SELECT * FROM `db`.`llm_usage` WHERE x = 1) AS u"
                + " GROUP BY day");
        assertThat(RollupRepair.fromDistributedSource("SELECT day FROM llm_usage_adjustment_local", "llm_usage_adjustment",
                CLUSTER, "x = 1")).isEqualTo("SELECT day FROM (SELECT * FROM llm_usage_adjustment WHERE x = 1)");
    }

    private static String asSelect(String view) {
        return clickHouse.query("SELECT as_select FROM system.tables WHERE database = currentDatabase() AND name = {v:String}",
                Map.of("v", view)).getFirst().string("as_select");
    }

    private static List<String> rows(String sql) {
        return clickHouse.query(sql).stream().map(Row::values).map(Map::toString).toList();
    }
}
