package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What the cluster mode checks before it runs any DDL, on the engine this machine has (chDB knows no cluster). */
class ClusterPreconditionsTest {

    @Test
    void aClusterTheServerDoesNotKnowIsRefusedBeforeAnyStatementRuns() {
        try (ClickHouse embedded = EmbeddedClickHouse.open(TestClickHouse.engineDataDir(),
                TestClickHouse.freshDatabaseName("unknown_cluster"))) {
            assertThatThrownBy(() -> new ClickHouseMigrations(embedded, ClickHouseTopology.cluster("no_such_cluster"))
                    .migrate()).hasMessageContaining("knows no cluster named no_such_cluster");
            assertThat(embedded.query("SELECT count() AS n FROM system.tables WHERE database = currentDatabase()")
                    .getFirst().int64("n")).isZero();
        }
    }
}
