package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cluster DDL of every shipped migration, as text: no ClickHouse with Keeper runs here (chDB has no Keeper, no
 * Replicated tables, no ON CLUSTER), so what runs on a cluster is pinned by golden files in
 * {@code src/test/resources/db/clickhouse-cluster} and executed by {@code ClusterMigrationsTest} where Docker exists.
 * A new migration fails here until its golden file is written: run this test with
 * {@code -Dtokenledger.updateGolden=true}, then read the diff.
 */
class ClusterDdlTest {
    private static final ClickHouseTopology CLUSTER = ClickHouseTopology.cluster("ledger_cluster");
    private static final String GOLDEN = "db/clickhouse-cluster";

    @Test
    void everyShippedMigrationBecomesTheClusterDdlOfItsGoldenFile() throws IOException {
        List<ClickHouseMigrations.Planned> plan = migrations(CLUSTER).plan("tokenledger");
        assertThat(plan).isNotEmpty();
        boolean update = Boolean.getBoolean("tokenledger.updateGolden");
        for (ClickHouseMigrations.Planned planned : plan) {
            String generated = String.join(";\n\n", planned.statements()) + ";\n";
            if (update) {
                Path file = Path.of("src/test/resources", GOLDEN, planned.file());
                Files.writeString(file, generated, StandardCharsets.UTF_8);
                continue;
            }
            String golden = resource(GOLDEN + "/" + planned.file());
            assertThat(golden).as("%s/%s is missing: run ClusterDdlTest with -Dtokenledger.updateGolden=true and read"
                    + " the diff", GOLDEN, planned.file()).isNotNull();
            assertThat(generated).as("the cluster DDL of %s", planned.file()).isEqualTo(golden);
        }
    }

    @Test
    void onOneNodeEveryFileRunsExactlyTheStatementsItHolds() throws IOException {
        for (ClickHouseMigrations.Planned planned : migrations(ClickHouseTopology.SINGLE_NODE).plan("tokenledger")) {
            assertThat(planned.statements()).isEqualTo(SqlScript.statements(resource("db/clickhouse/" + planned.file())));
        }
    }

    @Test
    void theChecksumOnAClusterIsTheFilesOwn() {
        List<ClickHouseMigrations.Planned> single = migrations(ClickHouseTopology.SINGLE_NODE).plan("tokenledger");
        List<ClickHouseMigrations.Planned> cluster = migrations(CLUSTER).plan("tokenledger");
        assertThat(cluster).extracting(ClickHouseMigrations.Planned::migration)
                .isEqualTo(single.stream().map(ClickHouseMigrations.Planned::migration).toList());
    }

    @Test
    void aPartitionedMergeTreeBecomesAReplicatedLocalTableWithTheMacrosAndADistributedTableShardedByItsPartitionKey() {
        List<String> ddl = new ClusterDdl(CLUSTER, "db").translate("""
                CREATE TABLE IF NOT EXISTS t
                (
                    day Date,
                    n   UInt64
                )
                ENGINE = SummingMergeTree((n))
                PARTITION BY toYYYYMM(day)
                ORDER BY day
                SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1""");

        assertThat(ddl).containsExactly("""
                        CREATE TABLE IF NOT EXISTS t_local ON CLUSTER `ledger_cluster` (
                            day Date,
                            n   UInt64
                        )
                        ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/t_local', '{replica}', (n))
                        PARTITION BY toYYYYMM(day)
                        ORDER BY day
                        SETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800, \
                        ttl_only_drop_parts = 1""",
                "CREATE TABLE IF NOT EXISTS t ON CLUSTER `ledger_cluster` AS t_local"
                        + " ENGINE = Distributed('ledger_cluster', 'db', 't_local', toYYYYMM(day))");
    }

    @Test
    void aMergeTreeWithoutPartitionKeyIsOneReplicatedTableEveryNodeHoldsWhole() {
        assertThat(new ClusterDdl(CLUSTER, "db").translate(
                "CREATE TABLE IF NOT EXISTS claims (id UUID) ENGINE = MergeTree ORDER BY id"))
                .containsExactly("CREATE TABLE IF NOT EXISTS claims ON CLUSTER `ledger_cluster` (id UUID) ENGINE ="
                        + " ReplicatedMergeTree('/clickhouse/tables/{database}/claims', '{shard}-{replica}') ORDER BY id");
    }

    @Test
    void viewsReadAndWriteTheLocalTablesOnEveryNode() {
        ClusterDdl ddl = withUsageTables();
        assertThat(ddl.translate("CREATE MATERIALIZED VIEW IF NOT EXISTS v TO daily AS SELECT toDate(event_time) AS day,"
                + " countIf(s = 'FROM usage') AS n FROM usage AS u WHERE u.n > 0 GROUP BY day"))
                .containsExactly("CREATE MATERIALIZED VIEW IF NOT EXISTS v ON CLUSTER `ledger_cluster` TO daily_local AS"
                        + " SELECT toDate(event_time) AS day, countIf(s = 'FROM usage') AS n FROM usage_local AS u"
                        + " WHERE u.n > 0 GROUP BY day");
    }

    @Test
    void theProbeIsMadeOnEveryNodeFromTheLocalTableWhichCarriesTheConstraints() {
        ClusterDdl ddl = withUsageTables();
        assertThat(ddl.translate("CREATE TABLE IF NOT EXISTS probe AS usage ENGINE = Null")).containsExactly(
                "CREATE TABLE IF NOT EXISTS probe ON CLUSTER `ledger_cluster` AS usage_local ENGINE = Null");
        assertThat(ddl.translate("DROP TABLE IF EXISTS probe"))
                .containsExactly("DROP TABLE IF EXISTS probe ON CLUSTER `ledger_cluster` SYNC");
    }

    @Test
    void columnChangesReachTheDistributedTableTooAndOtherChangesOnlyTheLocalOne() {
        ClusterDdl ddl = withUsageTables();
        assertThat(ddl.translate("ALTER TABLE usage ADD COLUMN IF NOT EXISTS x UInt8 AFTER n, MODIFY COLUMN n Int64"))
                .containsExactly(
                        "ALTER TABLE usage_local ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS x UInt8 AFTER n,"
                                + " MODIFY COLUMN n Int64",
                        "ALTER TABLE usage ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS x UInt8 AFTER n,"
                                + " MODIFY COLUMN n Int64");
        assertThat(ddl.translate("ALTER TABLE usage ADD PROJECTION IF NOT EXISTS p (SELECT n, day ORDER BY n)"))
                .containsExactly("ALTER TABLE usage_local ON CLUSTER `ledger_cluster` ADD PROJECTION IF NOT EXISTS p"
                        + " (SELECT n, day ORDER BY n)");
        assertThat(ddl.translate("ALTER TABLE usage MODIFY SETTING non_replicated_deduplication_window = 5"))
                .containsExactly("ALTER TABLE usage_local ON CLUSTER `ledger_cluster` MODIFY SETTING"
                        + " replicated_deduplication_window = 5, replicated_deduplication_window_seconds = 604800");
    }

    @Test
    void whatCannotBeTranslatedIsRefusedNamingTheStatement() {
        ClusterDdl ddl = withUsageTables();
        assertThatThrownBy(() -> ddl.translate("ALTER TABLE usage ADD COLUMN y UInt8, ADD CONSTRAINT c CHECK n > 0"))
                .hasMessageContaining("ALTER TABLE usage ADD COLUMN y").hasMessageContaining("split them");
        assertThatThrownBy(() -> ddl.translate("ALTER TABLE elsewhere ADD COLUMN y UInt8"))
                .hasMessageContaining("elsewhere, which no earlier migration created");
        assertThatThrownBy(() -> ddl.translate("INSERT INTO usage SELECT 1"))
                .hasMessageContaining("'INSERT INTO usage SELECT 1' is none of the kinds");
        assertThatThrownBy(() -> ddl.translate("CREATE TABLE copy AS usage ENGINE = MergeTree ORDER BY n"))
                .hasMessageContaining("write its columns out");
    }

    @Test
    void theMigrationHistoryIsOneReplicatedTableTheWholeClusterHolds() {
        String history = migrations(CLUSTER).plan("tokenledger").getFirst().statements().getFirst();
        assertThat(history).startsWith("CREATE TABLE IF NOT EXISTS llm_usage_local ON CLUSTER `ledger_cluster`");
        assertThat(new ClusterDdl(CLUSTER, "tokenledger").translate("CREATE TABLE IF NOT EXISTS "
                + ClickHouseMigrations.HISTORY_TABLE + " (version UInt32) ENGINE = MergeTree ORDER BY version"
                + " SETTINGS non_replicated_deduplication_window = 1000").getFirst())
                .contains("ReplicatedMergeTree('/clickhouse/tables/{database}/tokenledger_schema_migrations',"
                        + " '{shard}-{replica}')");
    }

    private static ClusterDdl withUsageTables() {
        ClusterDdl ddl = new ClusterDdl(CLUSTER, "db");
        ddl.translate("CREATE TABLE IF NOT EXISTS usage (event_time DateTime, n UInt64, s String)"
                + " ENGINE = MergeTree PARTITION BY toYYYYMM(event_time) ORDER BY n");
        ddl.translate("CREATE TABLE IF NOT EXISTS daily (day Date, n UInt64)"
                + " ENGINE = SummingMergeTree PARTITION BY toYYYYMM(day) ORDER BY day");
        return ddl;
    }

    private static ClickHouseMigrations migrations(ClickHouseTopology topology) {
        return new ClickHouseMigrations(null, topology, "db/clickhouse", ClusterDdlTest.class.getClassLoader(),
                Clock.systemUTC());
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = ClusterDdlTest.class.getClassLoader().getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
