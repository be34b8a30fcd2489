package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class UsagePurgerTest {
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.freshDatabase("purge");
        clickHouse = TestClickHouse.embedded("purge");
    }

    @AfterAll
    static void stop() {
        clickHouse.close();
        postgres.close();
    }

    @Test
    void writtenEventsLeaveStagingAfterTheWindowWhileUnwrittenOnesStayAndReconcileStillAddsUp() throws SQLException {
        try (TestPipeline pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS.withMaxBatchEvents(10))) {
            List<UsageEvent> written = TestEvents.events(25);
            pipeline.recorder.record(written);
            pipeline.writer.sealReady();
            for (long id = 1; id <= 3; id++) {
                pipeline.writer.job().run(new UsageWriteRequestV1(id));
            }
            List<UsageEvent> unwritten = TestEvents.events(5);
            pipeline.recorder.record(unwritten);

            UsagePurger soon = new UsagePurger(postgres.dataSource(), Duration.ofDays(7), InstantSource.system());
            assertThat(soon.purge()).as("inside the idempotency window nothing goes").isZero();

            InstantSource eightDaysLater = InstantSource.fixed(Instant.now().plus(Duration.ofDays(8)));
            UsagePurger later = new UsagePurger(postgres.dataSource(), Duration.ofDays(7), eightDaysLater);
            assertThat(later.purge()).isEqualTo(25);
            assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(5);
            assertThat(later.purge()).as("a second purge finds nothing").isZero();

            pipeline.writer.sealReady();
            pipeline.writer.job().run(new UsageWriteRequestV1(4));
            assertThat(pipeline.rawCount()).isEqualTo(30);
            ReconcileReport report = pipeline.reconciler.reconcile(java.time.LocalDate.now(java.time.ZoneOffset.UTC)
                    .minusDays(1), java.time.LocalDate.now(java.time.ZoneOffset.UTC));
            assertThat(report.clean()).as("%s", report).isTrue();
        }
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
