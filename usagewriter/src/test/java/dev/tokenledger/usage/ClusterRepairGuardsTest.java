package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.ClickHouse;
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
 * The repairs that must run per shard and do not yet refuse on a cluster, before they change anything: a staging
 * table made {@code AS} a Distributed table is another Distributed table, and an insert into it would land in the real
 * one. Runs only where a Docker engine answers ({@link TestCluster}); skipped with the reason otherwise.
 */
class ClusterRepairGuardsTest {
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
    void aRollupMonthThatDisagreesIsReportedAndLeftAsItIsOnACluster() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        clickHouse.execute("INSERT INTO llm_usage_daily (day, workspace_id, user_id, events) SETTINGS"
                + " distributed_foreground_insert = 1 VALUES ('" + today + "', 'w', 'u', 3)");
        int month = today.getYear() * 100 + today.getMonthValue();

        RollupRepair.Outcome outcome = new RollupRepair(postgres.dataSource(), clickHouse, InstantSource.system())
                .repairMonth(month, "test");

        assertThat(outcome.rebuilt()).isFalse();
        assertThat(outcome.detail()).contains("ClickHouse cluster");
        assertThat(clickHouse.query("SELECT sum(events) AS n FROM llm_usage_daily").getFirst().int64("n")).isEqualTo(3);
    }

    @Test
    void anErasureIsRefusedBeforeItChangesAnything() {
        Eraser eraser = new Eraser(postgres.dataSource(), clickHouse,
                new RollupRepair(postgres.dataSource(), clickHouse, InstantSource.system()), null, InstantSource.system());
        assertThatThrownBy(() -> eraser.start(new Eraser.Request("u-1", null, "test", "test")))
                .hasMessageContaining("not supported on a ClickHouse cluster");
    }
}
