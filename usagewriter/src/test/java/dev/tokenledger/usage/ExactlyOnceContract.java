package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Exactly once when the writer fails at every point that matters, on a real ClickHouse backend. The
 * test drives the usage_write job body itself so each crash lands exactly where it says.
 */
abstract class ExactlyOnceContract {
    private PostgresDatabase postgres;
    private FaultyClickHouse clickHouse;
    private TestPipeline pipeline;

    abstract ClickHouse clickHouse(String testName);

    @BeforeEach
    void start(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = new FaultyClickHouse(clickHouse(name));
        pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS.withMaxBatchEvents(100));
    }

    @AfterEach
    void stop() {
        pipeline.close();
        clickHouse.close();
        postgres.close();
    }

    @Test
    void everyRecordedEventIsWrittenOnceAndTheRollupAgreesWithTheRawTableToTheLastDigit() {
        List<UsageEvent> events = recordSpanningTwoMonths(250);
        runEveryBatch();
        assertLedgerHoldsExactly(events);
    }

    @Test
    void aCrashBeforeTheInsertLeavesRawAndRollupExactlyAsACleanRun() {
        List<UsageEvent> events = recordSpanningTwoMonths(250);
        clickHouse.failNext(FaultyClickHouse.Fault.BEFORE_INSERT, 2);
        assertThat(runEveryBatchCountingFailures()).isEqualTo(2);
        runEveryBatch();
        assertLedgerHoldsExactly(events);
    }

    @Test
    void anInsertThatSucceededButWhoseAnswerWasLostIsNotCountedTwice() {
        List<UsageEvent> events = recordSpanningTwoMonths(250);
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 3);
        assertThat(runEveryBatchCountingFailures()).isEqualTo(3);
        runEveryBatch();
        assertLedgerHoldsExactly(events);
    }

    @Test
    void failuresBetweenRetriesStillWriteEachEventOnce() {
        List<UsageEvent> events = recordSpanningTwoMonths(120);
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1);
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        clickHouse.failNext(FaultyClickHouse.Fault.BEFORE_INSERT, 1);
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1);
        runEveryBatchCountingFailures();
        runEveryBatch();
        runEveryBatch(); // a job that runs again after success is a no-op
        assertLedgerHoldsExactly(events);
    }

    @Test
    void aRetryLaterThanTheDeduplicationWindowAsksClickHouseFirstAndNeverResendsAMonthThatArrived() {
        List<UsageEvent> events = recordSpanningTwoMonths(50);
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1);
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        pipeline.writer.resendWithinInserts(0); // as if more inserts than the window landed in between
        int insertsBefore = clickHouse.inserts.get();
        runEveryBatch();
        // One batch of 50 events over two months = two inserts; the first arrived, so only the second is sent.
        assertThat(clickHouse.inserts.get() - insertsBefore).isEqualTo(1);
        assertLedgerHoldsExactly(events);
    }

    @Test
    void aRetryWithinTheDeduplicationWindowSendsAMonthThatArrivedAgainAndClickHouseDropsIt() {
        List<UsageEvent> events = recordSpanningTwoMonths(50);
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1);
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        int insertsBefore = clickHouse.inserts.get();
        runEveryBatch();
        assertThat(clickHouse.inserts.get() - insertsBefore).isEqualTo(2);
        assertLedgerHoldsExactly(events);
    }

    /**
     * Regression (found by the ClickHouse-outage chaos scenario: ClickHouse killed mid-insert left 200 events
     * in llm_usage but not in llm_usage_daily). An insert reaches the raw table but not the rollup (the
     * server dies between the two, or the view fails); the retry sees the rows in llm_usage and used to skip
     * the month, leaving the rollup short for good. It now sends the same block again under the same token:
     * llm_usage drops it, the view writes what it lacks.
     */
    @Test
    void aRetryRepairsARollupThatMissedAnInsertWhichReachedTheRawTable() {
        List<UsageEvent> events = recordSpanningTwoMonths(60);
        clickHouse.execute("DETACH TABLE llm_usage_daily_mv"); // the rollup misses this insert
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1); // the first month arrives, its answer is lost
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        clickHouse.execute("ATTACH TABLE llm_usage_daily_mv");
        assertThat(pipeline.rawCount()).isEqualTo(events.size() / 3);
        assertThat(pipeline.rollupEvents()).isZero();

        runEveryBatch();

        assertLedgerHoldsExactly(events);
    }

    @Test
    void unpricedEventsAreWrittenWithAnUnknownCostAndCountedAsUnpricedInTheRollup() {
        UsageEvent unknown = TestEvents.event().model("unknown-model-x").build();
        List<UsageEvent> events = new ArrayList<>(TestEvents.events(3));
        events.add(unknown);
        pipeline.recorder.record(events);
        runEveryBatch();
        assertThat(clickHouse.query("SELECT cost_status AS s, isNull(cost_usd) AS n FROM llm_usage WHERE model = "
                + "'unknown-model-x'").getFirst().values()).containsEntry("s", "unpriced").containsEntry("n", "1");
        assertThat(clickHouse.query("SELECT sum(unpriced_events) AS u FROM llm_usage_daily").getFirst().int64("u"))
                .isEqualTo(1);
        assertLedgerHoldsExactly(events);
    }

    @Test
    void aBatchThatCannotReachClickHouseStaysUnwrittenAndIsReportedPendingNotLost() {
        List<UsageEvent> events = recordSpanningTwoMonths(30);
        clickHouse.down();
        assertThatThrownBy(this::runEveryBatch).isInstanceOf(ClickHouseException.class);
        clickHouse.up();
        ReconcileReport report = pipeline.reconciler.reconcile(LocalDate.now(ZoneOffset.UTC).minusDays(60),
                LocalDate.now(ZoneOffset.UTC));
        assertThat(report.pending()).isEqualTo(events.size());
        assertThat(report.clean()).isTrue();
        runEveryBatch();
        assertLedgerHoldsExactly(events);
    }

    @Test
    void aRowClickHouseRejectsIsIsolatedIntoTheDeadLetterTableAndTheRestOfTheBatchIsWritten() throws SQLException {
        // Schema skew: ClickHouse gained a rule the writer does not know about (and the probe follows llm_usage).
        clickHouse.execute("ALTER TABLE llm_usage ADD CONSTRAINT no_banned_user CHECK user_id != 'banned'");
        clickHouse.execute("DROP TABLE llm_usage_probe");
        clickHouse.execute("CREATE TABLE llm_usage_probe AS llm_usage ENGINE = Null");
        List<UsageEvent> events = new ArrayList<>(recordSpanningTwoMonths(40));
        List<UsageEvent> poison = List.of(TestEvents.event().userId("banned").build(),
                TestEvents.event().userId("banned").eventTime(Instant.now().minus(Duration.ofDays(35))
                        .truncatedTo(ChronoUnit.MILLIS)).build());
        pipeline.recorder.record(poison);

        runEveryBatch();

        assertLedgerHoldsExactly(events);
        assertThat(count("SELECT count(*) FROM usage_dead_letter")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM usage_dead_letter WHERE error LIKE '%no_banned_user%'"
                + " AND clickhouse_code = 469 AND payload->>'user_id' = 'banned'")).isEqualTo(2);
        ReconcileReport report = pipeline.reconciler.reconcile(LocalDate.now(ZoneOffset.UTC).minusDays(60),
                LocalDate.now(ZoneOffset.UTC));
        assertThat(report.days().stream().mapToLong(ReconcileReport.Day::deadLettered).sum()).isEqualTo(2);
    }

    @Test
    void aStoredEventThatFailsValidationIsDeadLetteredWithTheReasonAndNeverBlocksItsBatch() throws SQLException {
        List<UsageEvent> events = recordSpanningTwoMonths(10);
        execute("INSERT INTO usage_event (event_id, event_time, user_id, workspace_id, model, prompt_tokens,"
                + " completion_tokens, total_tokens) VALUES (gen_random_uuid(), now(), 'u', 'w', 'gpt-4o', 10, 5, 999)");
        runEveryBatch();
        assertLedgerHoldsExactly(events);
        assertThat(count("SELECT count(*) FROM usage_dead_letter WHERE error LIKE '%total_tokens%'")).isEqualTo(1);
    }

    private long count(String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private List<UsageEvent> recordSpanningTwoMonths(int count) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // Every third event lies 35 days back: another month, another ClickHouse partition.
            Instant t = i % 3 == 0 ? now.minus(Duration.ofDays(35)).plusMillis(i) : now.minusSeconds(60).plusMillis(i);
            events.add(TestEvents.event().eventTime(t).userId("user-" + (i % 5)).promptTokens(1_000 + i)
                    .completionTokens(10 + i).cachedTokens(i % 100).build());
        }
        assertThat(pipeline.recorder.record(events)).extracting(RecordResult::status)
                .containsOnly(RecordResult.Status.ACCEPTED);
        return events;
    }

    private void runEveryBatch() {
        pipeline.writer.sealReady();
        for (long id : batchIds()) {
            pipeline.writer.job().run(new UsageWriteRequestV1(id));
        }
    }

    private int runEveryBatchCountingFailures() {
        pipeline.writer.sealReady();
        int failures = 0;
        for (long id : batchIds()) {
            try {
                pipeline.writer.job().run(new UsageWriteRequestV1(id));
            } catch (ClickHouseException e) {
                failures++;
            }
        }
        return failures;
    }

    private List<Long> batchIds() {
        List<Long> ids = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT batch_id FROM usage_batch ORDER BY batch_id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    /** Raw rows, rollup sums and reconcile all equal what these events cost, to the last digit. */
    private void assertLedgerHoldsExactly(List<UsageEvent> events) {
        FixedRatePricer pricer = new FixedRatePricer();
        BigDecimal expectedCost = events.stream().map(pricer::price).map(EventCost::total)
                .filter(java.util.Objects::nonNull).reduce(BigDecimal.ZERO, BigDecimal::add);
        long expectedTokens = events.stream().mapToLong(UsageEvent::totalTokens).sum();

        assertThat(pipeline.rawCount()).isEqualTo(events.size());
        assertThat(clickHouse.query("SELECT uniqExact(event_id) AS n FROM llm_usage").getFirst().int64("n"))
                .isEqualTo(events.size());
        assertThat(pipeline.rollupEvents()).isEqualTo(events.size());
        assertThat(pipeline.rawTokens()).isEqualTo(expectedTokens);
        assertThat(pipeline.rollupTokens()).isEqualTo(expectedTokens);
        assertThat(pipeline.rawCost()).isEqualByComparingTo(expectedCost);
        assertThat(pipeline.rollupCost()).isEqualByComparingTo(expectedCost);
        ReconcileReport report = pipeline.reconciler.reconcile(LocalDate.now(ZoneOffset.UTC).minusDays(60),
                LocalDate.now(ZoneOffset.UTC));
        assertThat(report.clean()).as("reconcile: %s", report).isTrue();
        assertThat(report.pending()).isZero();
    }
}
