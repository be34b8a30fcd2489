package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * While ClickHouse is away the sealer lets the backlog grow into large batches. Found by the full
 * ClickHouse-outage chaos run: 10 minutes of outage at 400 events/s made ~6,000 small usage_write jobs,
 * each failing and retried with its stack trace stored by JobRunr, and PostgreSQL grew slow enough under
 * that churn for one record() to miss its 5 s timeout; the drain took 5 minutes.
 */
class OutageSealingTest {

    @Test
    void whileWritesFailBatchesAreCutAtMostEveryOutageLingerAndAllArriveOnceAfterwards() throws SQLException {
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("outage_sealing");
             FaultyClickHouse clickHouse = new FaultyClickHouse(TestClickHouse.embedded("outage_sealing"))) {
            TestPipeline pipeline = TestPipeline.start(postgres, clickHouse);
            try {
                clickHouse.down();
                pipeline.recorder.record(TestEvents.events(10));
                TestPipeline.await(() -> count(postgres, "SELECT count(*) FROM usage_batch WHERE last_error IS NOT NULL") > 0,
                        Duration.ofSeconds(30), () -> "the first write did not fail");
                long batchesBefore = count(postgres, "SELECT count(*) FROM usage_batch");

                for (int i = 0; i < 15; i++) { // 15 commits over 3 s, each waking the sealer
                    pipeline.recorder.record(TestEvents.events(10));
                    Thread.sleep(200);
                }

                assertThat(count(postgres, "SELECT count(*) FROM usage_batch") - batchesBefore)
                        .as("batches cut while writes fail, within %s", UsageWriter.OUTAGE_LINGER).isLessThanOrEqualTo(1);
                clickHouse.up();
                pipeline.awaitRawCount(160, Duration.ofSeconds(60));
                LocalDate today = LocalDate.now(ZoneOffset.UTC);
                TestPipeline.await(() -> pipeline.reconciler.reconcile(today.minusDays(1), today).pending() == 0,
                        Duration.ofSeconds(30), () -> "batches still unmarked");
                assertThat(pipeline.reconciler.reconcile(today.minusDays(1), today).clean()).isTrue();
                assertThat(pipeline.rawCount()).isEqualTo(160);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            } finally {
                clickHouse.up();
                pipeline.close();
            }
        }
    }

    private static long count(PostgresDatabase postgres, String sql) {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
