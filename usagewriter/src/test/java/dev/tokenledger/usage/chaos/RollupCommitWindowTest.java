package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.ReconcileReport;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.UsageReconcileJob;
import dev.tokenledger.usage.UsageWriteRequestV1;
import dev.tokenledger.usage.WriterSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Integrity hole 1: the rollup's own commit window. llm_usage_daily is a plain MergeTree too: the view's insert
 * writes its token to the rollup's deduplication log before it commits the part. ClickHouse killed in between
 * (for real: a SIGKILL inside that window, see {@link CommitWindowHook}) leaves llm_usage with the batch and the
 * rollup without it, and every re-send of the batch is then dropped by the rollup as a duplicate. The writer's
 * own repairs cannot see this (llm_usage has the month); the scheduled reconcile finds raw = written ≠ rollup and
 * rebuilds the month from llm_usage, with nobody typing a command.
 */
class RollupCommitWindowTest {

    @Test
    void aRollupPartLostInsideItsCommitWindowIsRebuiltExactlyByTheScheduledReconcile(@TempDir Path dir)
            throws SQLException {
        CommitWindowHook hook = CommitWindowHook.build(dir.resolve("hook"));
        try (ClickHouseProcess server = ClickHouseProcess.startWithCommitHook("rollup-window", dir.resolve("ch"), hook);
             PostgresDatabase postgres = TestPostgres.freshDatabase("rollup_window")) {
            ServerClickHouse.Settings settings = server.migratedDatabase("rollup_window");
            try (ServerClickHouse clickHouse = ServerClickHouse.open(settings)) {
                TestPipeline pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS);
                try {
                    int events = pipeline.recorder.record(ChaosEvents.random(50)).size();
                    pipeline.writer.sealReady();

                    hook.arm(CommitWindowHook.dataDirectory(clickHouse, "llm_usage_daily"));
                    assertThatThrownBy(() -> pipeline.writer.job().run(new UsageWriteRequestV1(1)))
                            .as("ClickHouse dies in the middle of the insert");
                    assertThat(server.awaitDeath(Duration.ofSeconds(30))).isTrue();
                    assertThat(hook.armed()).as("the hook fired").isFalse();
                    server.start();

                    assertThat(pipeline.rawCount()).as("llm_usage committed the batch").isEqualTo(events);
                    assertThat(pipeline.rollupEvents()).as("the rollup's part died in its commit window").isZero();

                    pipeline.writer.job().run(new UsageWriteRequestV1(1)); // JobRunr's retry
                    assertThat(written(postgres)).isEqualTo(events);
                    assertThat(pipeline.rollupEvents()).as("the re-send is dropped by the rollup: its token outlived"
                            + " the part").isZero();
                    LocalDate today = LocalDate.now(ZoneOffset.UTC);
                    ReconcileReport before = pipeline.reconciler.reconcile(today.minusDays(2), today);
                    assertThat(before.clean()).isFalse();
                    assertThat(before.rollupDifferences()).isNotEmpty()
                            .allSatisfy(d -> assertThat(d.table()).isEqualTo("llm_usage_daily"));

                    UsageReconcileJob.Run run = pipeline.reconcileJob.runOnce(); // what the recurring job does

                    assertThat(run.repairs()).hasSize(1);
                    assertThat(run.repairs().getFirst().rebuilt()).isTrue();
                    assertThat(pipeline.rollupEvents()).isEqualTo(events);
                    assertThat(pipeline.rollupCost()).isEqualByComparingTo(pipeline.rawCost());
                    assertThat(pipeline.rollupTokens()).isEqualTo(pipeline.rawTokens());
                    ReconcileReport after = pipeline.reconciler.reconcile(today.minusDays(2), today);
                    assertThat(after.clean()).as("%s", after.differences()).isTrue();
                    assertThat(repairs(postgres)).containsExactly("llm_usage_daily rebuilt");

                    pipeline.writer.job().run(new UsageWriteRequestV1(1)); // a late duplicate job changes nothing
                    assertThat(pipeline.rollupEvents()).isEqualTo(events);
                    assertThat(pipeline.reconcileJob.runOnce().repairs()).as("nothing left to repair").isEmpty();
                } finally {
                    hook.disarm();
                    pipeline.close();
                }
            }
        }
    }

    private static long written(PostgresDatabase postgres) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(written_events), 0) FROM usage_batch"
                     + " WHERE written_at IS NOT NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> repairs(PostgresDatabase postgres) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT rollup_table || ' ' || outcome FROM usage_rollup_repair"
                     + " ORDER BY repair_id")) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
