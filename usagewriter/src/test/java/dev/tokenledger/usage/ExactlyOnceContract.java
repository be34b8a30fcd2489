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

    /** Makes the rollup's view miss the next inserts (on a cluster: on every node). */
    void detachRollupView(ClickHouse clickHouse) {
        clickHouse.execute("DETACH TABLE llm_usage_daily_mv");
    }

    void attachRollupView(ClickHouse clickHouse) {
        clickHouse.execute("ATTACH TABLE llm_usage_daily_mv");
    }

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
        detachRollupView(clickHouse); // the rollup misses this insert
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1); // the first month arrives, its answer is lost
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        attachRollupView(clickHouse);
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

    /**
     * Integrity hole 1, its second route: a retry that comes after more inserts than it may safely re-send within
     * finds its month in llm_usage and cannot send it again, so a rollup that missed the insert stayed short for
     * good. The scheduled reconcile now finds raw = written ≠ rollup and rebuilds the month from llm_usage.
     */
    @Test
    void aRollupMonthShortOfWhatLlmUsageHoldsIsRebuiltExactlyByTheScheduledReconcile() {
        List<UsageEvent> events = recordSpanningTwoMonths(60);
        detachRollupView(clickHouse); // the rollup misses this insert
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1);
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        attachRollupView(clickHouse);
        pipeline.writer.resendWithinInserts(0); // the retry comes too late to send the month again
        runEveryBatch();
        assertThat(pipeline.rawCount()).isEqualTo(events.size());
        assertThat(pipeline.rollupEvents()).as("the month the view missed").isEqualTo(events.size() * 2 / 3);

        UsageReconcileJob.Run run = pipeline.reconcileJob.runOnce();

        assertThat(run.repairs()).singleElement().satisfies(r -> assertThat(r.rebuilt()).isTrue());
        assertLedgerHoldsExactly(events);
        runEveryBatch(); // a job that runs again after the repair is a no-op
        assertLedgerHoldsExactly(events);
        assertThat(pipeline.reconcileJob.runOnce().repairs()).isEmpty();
    }

    /**
     * A month is never rebuilt while one of its batches was attempted and is not written: its retry may send a
     * block again, and the view would add it to a rollup rebuilt with it already in. The repair waits; the retry
     * repairs the rollup itself, and nothing counts twice.
     */
    @Test
    void aRepairWaitsWhileABatchOfTheMonthIsHalfWrittenAndNothingCountsTwice() {
        List<UsageEvent> events = recordSpanningTwoMonths(60);
        detachRollupView(clickHouse);
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1); // the first (older) month arrives, unmarked
        assertThat(runEveryBatchCountingFailures()).isEqualTo(1);
        attachRollupView(clickHouse);
        int olderMonth = BatchWriter.month(events.getFirst().eventTime());

        RollupRepair.Outcome outcome = new RollupRepair(postgres.dataSource(), clickHouse,
                java.time.InstantSource.system()).repairMonth(olderMonth, "test");

        assertThat(outcome.rebuilt()).isFalse();
        assertThat(outcome.detail()).contains("attempted and are not written");
        runEveryBatch(); // the retry re-sends the month: the table drops it, the view adds what it lacks
        assertLedgerHoldsExactly(events);
        assertThat(pipeline.reconcileJob.runOnce().repairs()).isEmpty();
    }

    /**
     * Integrity hole 3: once a batch left usage_event (the idempotency window), the same event_id sent again was a
     * new event and a second row in llm_usage, and reconcile was clean. The writer now finds it in llm_usage and
     * counts a late duplicate instead. 10,000 acknowledged events, purged, sent again: 0 new rows.
     */
    @Test
    void tenThousandEventsSentAgainAfterTheirBatchesWerePurgedAddNothingAndAreCountedAsLateDuplicates() {
        java.time.Duration window = java.time.Duration.ofSeconds(1);
        TestPipeline shortWindow = TestPipeline.manual(postgres, clickHouse,
                WriterSettings.DEFAULTS.withMaxBatchEvents(5_000).withIdempotencyWindow(window));
        try {
            List<UsageEvent> events = new ArrayList<>();
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            for (int i = 0; i < 10_000; i++) {
                events.add(TestEvents.event().eventTime(now.minusSeconds(600).plusMillis(i)).userId("user-" + (i % 7))
                        .promptTokens(100 + i % 50).cachedTokens(0).completionTokens(10).build());
            }
            assertThat(shortWindow.recorder.record(events)).extracting(RecordResult::status)
                    .containsOnly(RecordResult.Status.ACCEPTED);
            runEveryBatch(shortWindow);
            assertLedgerHoldsExactly(events);
            // An hour later the written events left usage_event: PostgreSQL no longer knows their ids.
            long purged = new UsagePurger(postgres.dataSource(), window,
                    java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofHours(1))).purge();
            assertThat(purged).isEqualTo(events.size());

            assertThat(shortWindow.recorder.record(events)).extracting(RecordResult::status)
                    .as("PostgreSQL accepts them again: only ClickHouse remembers").containsOnly(RecordResult.Status.ACCEPTED);
            runEveryBatch(shortWindow);

            assertThat(pipeline.rawCount()).as("no new row").isEqualTo(events.size());
            assertLedgerHoldsExactly(events);
            ReconcileReport report = pipeline.reconciler.reconcile(LocalDate.now(ZoneOffset.UTC).minusDays(2),
                    LocalDate.now(ZoneOffset.UTC));
            assertThat(report.lateDuplicates()).isEqualTo(events.size());
            assertThat(report.days().stream().mapToLong(d -> d.accounting().accepted()).sum())
                    .isEqualTo(2L * events.size());
        } finally {
            shortWindow.close();
        }
    }

    /**
     * Integrity hole 4: tokens and the presence check were keyed on batch_id only. A PostgreSQL restored from a
     * backup seals new batches under ids ClickHouse has already seen; their inserts were dropped as duplicates and
     * the presence check found the old rows, so the new events were marked written and never stored.
     */
    @Test
    void aPostgresRestoredFromABackupWritesItsNewBatchesAlthoughClickHouseHasSeenTheirIds() throws SQLException {
        List<UsageEvent> before = recordSpanningTwoMonths(30);
        runEveryBatch();
        List<Long> seenIds = batchIds();
        // Restore a backup taken before those batches: their rows and events are gone, the id sequence goes back.
        execute("DELETE FROM usage_written_day");
        execute("DELETE FROM usage_batch");
        execute("DELETE FROM usage_event");
        execute("ALTER TABLE usage_batch ALTER COLUMN batch_id RESTART WITH 1");

        List<UsageEvent> after = recordSpanningTwoMonths(30);
        runEveryBatch();

        assertThat(batchIds()).isEqualTo(seenIds);
        assertThat(pipeline.rawCount()).isEqualTo(before.size() + after.size());
        assertThat(clickHouse.query("SELECT uniqExact(event_id) AS n FROM llm_usage").getFirst().int64("n"))
                .isEqualTo(before.size() + after.size());
        assertThat(pipeline.rollupEvents()).isEqualTo(before.size() + after.size());
    }

    /**
     * Integrity hole 4, the other case: a PostgreSQL re-created from scratch (or pointed at another ledger's
     * ClickHouse) has another installation id. It refuses to write and says why, keeps the events durable, and
     * writes once an admin adopts ClickHouse's ledger.
     */
    @Test
    void aPostgresOfAnotherLedgerRefusesToWriteIntoThisClickHouseAndSaysWhy() {
        List<UsageEvent> first = recordSpanningTwoMonths(12);
        runEveryBatch();
        try (PostgresDatabase other = TestPostgres.freshDatabase("recreated")) {
            TestPipeline recreated = TestPipeline.manual(other, clickHouse, WriterSettings.DEFAULTS);
            try {
                recreated.recorder.record(TestEvents.events(5));
                recreated.writer.sealReady();
                assertThatThrownBy(() -> recreated.writer.job().run(new UsageWriteRequestV1(1)))
                        .isInstanceOf(LedgerIdentity.MismatchException.class)
                        .hasMessageContaining(recreated.writer.identity().postgresId().toString())
                        .hasMessageContaining(pipeline.writer.identity().postgresId().toString())
                        .hasMessageContaining("installation adopt");
                assertThat(pipeline.rawCount()).isEqualTo(first.size());

                recreated.writer.identity().adoptClickHouse();
                recreated.writer.job().run(new UsageWriteRequestV1(1));
                assertThat(pipeline.rawCount()).as("its batch 1 is not the first ledger's batch 1")
                        .isEqualTo(first.size() + 5);
            } finally {
                recreated.close();
            }
        }
    }

    /**
     * Integrity hole 5: a retry's presence check and a late-duplicate lookup filter on batch_id or event_id, which
     * are not in llm_usage's sort key; they now read projections sorted by them (V5), not the whole months.
     */
    @Test
    void theWritersLookupsByBatchAndByEventAreServedByProjectionsNotScans() {
        clickHouse.execute("INSERT INTO llm_usage (event_id, event_time, user_id, workspace_id, model, prompt_tokens,"
                + " completion_tokens, total_tokens, cost_status, batch_id, ingested_at)"
                + " SELECT generateUUIDv4(), now64(3) - toIntervalSecond(number % 86400), concat('u-', toString(number % 997)),"
                + " 'w', 'gpt-4o', 10, 1, 11, 'priced', 1 + intDiv(number, 1000), toDateTime64('2026-01-01 00:00:00', 3, 'UTC')"
                + " FROM numbers(200000) SETTINGS insert_deduplicate = 0");
        String presence = explain(BatchWriter.MONTHS_PRESENT.replace("{batch:UInt64}", "42")
                .replace("{ingested:DateTime64(3, 'UTC')}", "'2026-01-01 00:00:00.000'")
                .replace("{from:DateTime64(3, 'UTC')}", "'2020-01-01 00:00:00.000'")
                .replace("{to:DateTime64(3, 'UTC')}", "'2030-01-01 00:00:00.000'"));
        assertThat(presence).contains("by_batch");
        String lookup = explain(LateDuplicates.LOOKUP.replace("{ids:Array(UUID)}",
                        "['00000000-0000-0000-0000-000000000001', '" + java.util.UUID.randomUUID() + "']")
                .replace("{batch:UInt64}", "42").replace("{ingested:DateTime64(3, 'UTC')}", "'2026-01-01 00:00:00.000'")
                .replace("{from:DateTime64(3, 'UTC')}", "now64(3) - INTERVAL 2 HOUR")
                .replace("{to:DateTime64(3, 'UTC')}", "now64(3) - INTERVAL 1 HOUR"));
        assertThat(lookup).contains("by_event_time");
    }

    private String explain(String sql) {
        StringBuilder out = new StringBuilder();
        for (dev.tokenledger.clickhouse.Row r : clickHouse.query("EXPLAIN projections = 1 " + sql)) {
            out.append(r.values().values()).append('\n');
        }
        return out.toString();
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

        assertLedgerHoldsExactlyBesidesDeadLetters(events, 2);
        assertThat(count("SELECT count(*) FROM usage_dead_letter")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM usage_dead_letter WHERE error LIKE '%no_banned_user%'"
                + " AND clickhouse_code = 469 AND payload->>'user_id' = 'banned'")).isEqualTo(2);

        // The admin lifts the rule and replays one, and discards the other with a reason.
        clickHouse.execute("ALTER TABLE llm_usage DROP CONSTRAINT no_banned_user");
        DeadLetters letters = new DeadLetters(postgres.dataSource(), clickHouse, new FixedRatePricer(),
                java.time.InstantSource.system());
        DeadLetters.Letter replayed = letters.replay(poison.get(0).eventId(), "test");
        assertThat(replayed.resolution()).isEqualTo("replayed");
        assertThat(replayed.replayToken()).contains(poison.get(0).eventId().toString());
        assertThatThrownBy(() -> letters.discard(poison.get(1).eventId(), " ", "test"))
                .isInstanceOf(DeadLetters.RefusedException.class).hasMessageContaining("reason");
        letters.discard(poison.get(1).eventId(), "test account, not billable", "test");
        assertThatThrownBy(() -> letters.replay(poison.get(1).eventId(), "test"))
                .isInstanceOf(DeadLetters.RefusedException.class).hasMessageContaining("already discarded");
        assertThatThrownBy(() -> letters.replay(poison.get(0).eventId(), "test"))
                .isInstanceOf(DeadLetters.RefusedException.class).hasMessageContaining("already replayed");
        List<UsageEvent> nowWritten = new ArrayList<>(events);
        nowWritten.add(poison.get(0));
        assertLedgerHoldsExactly(nowWritten);
        assertThat(letters.unresolvedCount()).isZero();
    }

    @Test
    void aStoredEventThatFailsValidationIsDeadLetteredWithTheReasonAndNeverBlocksItsBatch() throws SQLException {
        List<UsageEvent> events = recordSpanningTwoMonths(10);
        execute("INSERT INTO usage_event (event_id, event_time, user_id, workspace_id, model, prompt_tokens,"
                + " completion_tokens, total_tokens) VALUES (gen_random_uuid(), now(), 'u', 'w', 'gpt-4o', 10, 5, 999)");
        runEveryBatch();
        assertLedgerHoldsExactlyBesidesDeadLetters(events, 1);
        assertThat(count("SELECT count(*) FROM usage_dead_letter WHERE error LIKE '%total_tokens%'")).isEqualTo(1);

        DeadLetters letters = new DeadLetters(postgres.dataSource(), clickHouse, new FixedRatePricer(),
                java.time.InstantSource.system());
        DeadLetters.Letter letter = letters.list(false, 10).getFirst();
        assertThatThrownBy(() -> letters.replay(letter.eventId(), "test"))
                .isInstanceOf(DeadLetters.RefusedException.class).hasMessageContaining("still fails validation")
                .hasMessageContaining("total_tokens");
        letters.discard(letter.eventId(), "written by hand with a wrong total", "test");
        assertLedgerHoldsExactly(events);
    }

    /**
     * Integrity hole 2: a dead letter used to be invisible to reconcile (it compared only what was written).
     * Now every accepted event is accounted for, and an unresolved dead letter keeps the ledger from being clean.
     */
    private void assertLedgerHoldsExactlyBesidesDeadLetters(List<UsageEvent> written, long deadLetters) {
        ReconcileReport report = pipeline.reconciler.reconcile(LocalDate.now(ZoneOffset.UTC).minusDays(60),
                LocalDate.now(ZoneOffset.UTC));
        assertThat(report.differences()).as("written = raw = rollup, and every event accounted for").isEmpty();
        assertThat(report.unresolvedDeadLetters()).isEqualTo(deadLetters);
        assertThat(report.clean()).as("not clean while dead letters wait").isFalse();
        assertThat(report.days().stream().mapToLong(ReconcileReport.Day::deadLettered).sum()).isEqualTo(deadLetters);
        assertThat(report.days().stream().mapToLong(d -> d.accounting().accepted()).sum())
                .isEqualTo(written.size() + deadLetters);
        assertThat(pipeline.rawCount()).isEqualTo(written.size());
        assertThat(pipeline.rollupEvents()).isEqualTo(written.size());
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
        runEveryBatch(pipeline);
    }

    private void runEveryBatch(TestPipeline through) {
        through.writer.sealReady();
        for (long id : batchIds()) {
            through.writer.job().run(new UsageWriteRequestV1(id));
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
