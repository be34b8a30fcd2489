package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.TestClickHouse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Rollups} is the list reconcile checks and {@link RollupRepair} rebuilds: a rollup the migrations add
 * without listing it there would be neither checked nor repaired.
 */
class RollupsTest {
    private static ClickHouse clickHouse;

    @BeforeAll
    static void open() {
        clickHouse = TestClickHouse.embedded("rollups");
    }

    @AfterAll
    static void close() {
        clickHouse.close();
    }

    @Test
    void everyMaterializedViewIsAListedFeedOfARollupAndReadsItsSource() {
        List<String> views = new ArrayList<>();
        for (Row r : clickHouse.query("SELECT name, create_table_query AS ddl FROM system.tables"
                + " WHERE database = currentDatabase() AND engine = 'MaterializedView'")) {
            views.add(r.string("name"));
            Rollups.Rollup rollup = Rollups.ALL.stream()
                    .filter(x -> x.feeds().stream().anyMatch(f -> f.view().equals(r.string("name")))).findFirst()
                    .orElseThrow(() -> new AssertionError("materialized view " + r.string("name") + " feeds no rollup"
                            + " in Rollups.ALL: reconcile would not check it, RollupRepair would not rebuild it"));
            Rollups.Feed feed = rollup.feeds().stream().filter(f -> f.view().equals(r.string("name"))).findFirst()
                    .orElseThrow();
            assertThat(r.string("ddl")).contains(" TO " + clickHouse.database() + "." + rollup.table() + " ")
                    .contains("FROM " + clickHouse.database() + "." + feed.source());
        }
        assertThat(views).containsExactlyInAnyOrderElementsOf(Rollups.ALL.stream()
                .flatMap(r -> r.feeds().stream()).map(Rollups.Feed::view).toList());
    }

    @Test
    void everyRollupHasADayAndEveryMeasureAsSummedColumnsPartitionedByMonth() {
        for (Rollups.Rollup rollup : Rollups.ALL) {
            List<String> columns = clickHouse.query("SELECT name FROM system.columns WHERE database = currentDatabase()"
                    + " AND table = {t:String}", Map.of("t", rollup.table())).stream().map(r -> r.string("name")).toList();
            assertThat(columns).contains("day");
            for (Measure m : Measure.values()) {
                assertThat(columns).as(rollup.table()).contains(m.column());
            }
            Row t = clickHouse.query("SELECT engine, partition_key FROM system.tables WHERE database = currentDatabase()"
                    + " AND name = {t:String}", Map.of("t", rollup.table())).getFirst();
            assertThat(t.string("engine")).isEqualTo("SummingMergeTree");
            assertThat(t.string("partition_key")).as("RollupRepair replaces one month: partitions must be months")
                    .isEqualTo("toYYYYMM(day)");
        }
    }
}
