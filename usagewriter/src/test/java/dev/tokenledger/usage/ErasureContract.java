package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Erasure on real PostgreSQL and ClickHouse: a user with usage in every store (written over two months, corrected by
 * a reprice run, dead-lettered and replayed, sealed and not written, not sealed yet) is erased; every store is
 * queried directly afterwards.
 */
abstract class ErasureContract {
    static final String USER = "erase-me@example.com";
    private PostgresDatabase postgres;
    private ClickHouse clickHouse;
    private TestPipeline pipeline;
    private Eraser eraser;
    private Repricer repricer;
    private final List<UsageEvent> theirs = new ArrayList<>();
    private final List<UsageEvent> others = new ArrayList<>();

    abstract ClickHouse clickHouse(String testName);

    /**
     * Adds a rule to llm_usage the writer does not know, so ClickHouse refuses rows of {@code model} (and the poison
     * probe, made from llm_usage's structure, with it).
     */
    void refuseModel(ClickHouse clickHouse, String model) {
        clickHouse.execute("ALTER TABLE llm_usage ADD CONSTRAINT no_poison CHECK model != '" + model + "'");
        clickHouse.execute("DROP TABLE llm_usage_probe");
        clickHouse.execute("CREATE TABLE llm_usage_probe AS llm_usage ENGINE = Null");
    }

    void acceptEveryModel(ClickHouse clickHouse) {
        clickHouse.execute("ALTER TABLE llm_usage DROP CONSTRAINT no_poison");
        clickHouse.execute("DROP TABLE llm_usage_probe");
        clickHouse.execute("CREATE TABLE llm_usage_probe AS llm_usage ENGINE = Null");
    }

    @BeforeEach
    void start(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = clickHouse(name);
        pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS);
        RollupRepair repair = new RollupRepair(postgres.dataSource(), clickHouse, InstantSource.system());
        eraser = new Eraser(postgres.dataSource(), clickHouse, repair, null, InstantSource.system());
        repricer = new Repricer(postgres.dataSource(), clickHouse, new FixedRatePricer(new BigDecimal("1.5")), null,
                InstantSource.system(), 7);
    }

    @AfterEach
    void stop() {
        pipeline.close();
        clickHouse.close();
        postgres.close();
    }

    @Test
    void anErasedUserIsGoneFromEveryStoreAndEveryoneElsesTotalsAreUnchangedToTheLastDigit() throws SQLException {
        populate();
        String othersBefore = othersTotals();
        BigDecimal theirCost = cost("llm_usage").add(cost("llm_usage_adjustment"));
        Eraser.Summary dry = eraser.dryRun(request());
        assertThat(othersTotals()).isEqualTo(othersBefore);
        assertThat(dry.events()).isEqualTo(21); // 20 written + 1 replayed dead letter
        assertThat(dry.deadLetters()).isEqualTo(2);
        assertThat(dry.adjustments()).isEqualTo(21);
        assertThat(dry.cost()).isEqualByComparingTo(theirCost);
        assertThat(theirs()).as("a dry run changes nothing").isEqualTo(List.of(21L, 21L, 21L, 32L));

        Eraser.Erasure erasure = eraser.run(eraser.start(request()).erasureId());

        assertThat(erasure.status()).isEqualTo("done");
        assertThat(theirs()).as("llm_usage, adjustments, rollups, dead letters, staging").isEqualTo(List.of(0L, 0L, 0L, 0L));
        assertThat(othersTotals()).isEqualTo(othersBefore);
        assertThat(erasure.removed().events()).isEqualTo(21);
        assertThat(erasure.removed().deadLetters()).isEqualTo(2);
        assertThat(erasure.removed().adjustments()).isEqualTo(21);
        assertThat(erasure.removed().unwritten()).isEqualTo(8);
        assertThat(erasure.removed().cost()).isEqualByComparingTo(theirCost);
        assertThat(auditRows()).as("the audit holds no user id").doesNotContain(USER).contains("gdpr request 17");
        assertClean();

        // What others recorded alongside is written afterwards; nothing of the user comes back with it.
        writeAll();
        assertThat(theirs()).isEqualTo(List.of(0L, 0L, 0L, 0L));
        assertThat(pipeline.rawCount()).isEqualTo(others.size());
        assertClean();
    }

    @Test
    void aReSentEventOfAnErasedUserIsRefusedWithAClearReasonAndANewOneIsRecorded() {
        populate();
        eraser.run(eraser.start(request()).erasureId());

        List<RecordResult> again = pipeline.recorder.record(List.of(theirs.getFirst(), theirs.getLast()));
        assertThat(again).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(RecordResult.Status.REJECTED);
            assertThat(r.errors()).singleElement().satisfies(e -> assertThat(e.problem()).contains("erased"));
        });
        UsageEvent fresh = TestEvents.event().userId(USER).build();
        assertThat(pipeline.recorder.record(List.of(fresh))).extracting(RecordResult::status)
                .containsExactly(RecordResult.Status.ACCEPTED);
        writeAll();
        assertThat(clickHouse.query("SELECT count() AS n FROM llm_usage WHERE user_id = {u:String}", Map.of("u", USER))
                .getFirst().int64("n")).as("erasure is not a ban").isEqualTo(1);
        assertClean();
    }

    @Test
    void erasingAgainFindsNothingAndChangesNothing() throws SQLException {
        populate();
        Eraser.Erasure first = eraser.run(eraser.start(request()).erasureId());
        writeAll();
        String all = everyonesTotals();
        assertThat(eraser.run(first.erasureId())).isEqualTo(first);

        assertThat(eraser.dryRun(request()).nothing()).isTrue();
        Eraser.Erasure second = eraser.run(eraser.start(request()).erasureId());
        assertThat(second.removed().nothing()).isTrue();
        assertThat(second.removed().cost()).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(everyonesTotals()).isEqualTo(all);
        assertClean();
    }

    @Test
    void anErasureLimitedToAWorkspaceLeavesTheUsersOtherWorkspacesAsTheyWere() {
        List<UsageEvent> a = new ArrayList<>();
        List<UsageEvent> b = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            a.add(TestEvents.event().userId(USER).workspaceId("ws-a").build());
            b.add(TestEvents.event().userId(USER).workspaceId("ws-b").build());
        }
        record(a, b);
        writeAll();
        BigDecimal costB = clickHouse.query("SELECT sum(cost_usd) AS c FROM llm_usage_daily WHERE workspace_id = 'ws-b'")
                .getFirst().decimal("c");

        Eraser.Erasure done = eraser.run(eraser.start(new Eraser.Request(USER, "ws-a", "left team a", "test")).erasureId());

        assertThat(done.scopedToWorkspace()).isTrue();
        assertThat(done.removed().events()).isEqualTo(6);
        assertThat(clickHouse.query("SELECT workspace_id AS w, count() AS n FROM llm_usage WHERE user_id = {u:String}"
                + " GROUP BY w", Map.of("u", USER))).singleElement().satisfies(r -> {
                    assertThat(r.string("w")).isEqualTo("ws-b");
                    assertThat(r.int64("n")).isEqualTo(6);
                });
        assertThat(clickHouse.query("SELECT sum(cost_usd) AS c FROM llm_usage_daily WHERE workspace_id = 'ws-b'")
                .getFirst().decimal("c")).isEqualByComparingTo(costB);
        assertThat(pipeline.recorder.record(List.of(b.getFirst()))).extracting(RecordResult::status)
                .containsExactly(RecordResult.Status.DUPLICATE);
        assertClean();
    }

    @Test
    void aBatchWhoseErasedEventsAreStillInTheWritersMemoryIsWrittenWithoutThem() {
        // The writer takes a batch from memory when memory holds as many of its events as the batch counts: here
        // it holds exactly the two erased ones (the other two were recorded by another process's recorder).
        pipeline.writer.attach(pipeline.recorder);
        List<UsageEvent> mine = List.of(TestEvents.event().userId(USER).build(), TestEvents.event().userId(USER).build());
        List<UsageEvent> elsewhere = List.of(TestEvents.event().userId("u-9").build(),
                TestEvents.event().userId("u-9").build());
        record(mine);
        try (UsageRecorder another = new UsageRecorder(postgres.dataSource(), RecorderSettings.DEFAULTS,
                InstantSource.system())) {
            assertThat(another.record(elsewhere)).extracting(RecordResult::status)
                    .containsOnly(RecordResult.Status.ACCEPTED);
        }
        pipeline.writer.sealReady();
        assertThat(longs("SELECT event_count FROM usage_batch WHERE written_at IS NULL")).containsExactly(4L);

        eraser.run(eraser.start(request()).erasureId());
        assertThat(longs("SELECT event_count FROM usage_batch WHERE written_at IS NULL")).containsExactly(2L);
        writeAll();

        assertThat(theirs()).isEqualTo(List.of(0L, 0L, 0L, 0L));
        assertThat(pipeline.rawCount()).isEqualTo(2);
        assertClean();
    }

    @Test
    void rollupMonthsOlderThanLlmUsagesRetentionLoseTheUsersRowsAndKeepEveryoneElses() {
        // llm_usage keeps 13 months, the rollups 25: 15 months ago only the rollup holds the user.
        LocalDate old = LocalDate.now(ZoneOffset.UTC).minusMonths(15);
        for (String user : List.of(USER, "u-old")) {
            clickHouse.execute("INSERT INTO llm_usage_daily (day, workspace_id, user_id, model, events, total_tokens,"
                    + " cost_usd) SETTINGS insert_deduplicate = 0, distributed_foreground_insert = 1 VALUES ('" + old + "', 'ws-1', '" + user
                    + "', 'gpt-4o', 3, 900, 0.25)");
        }

        Eraser.Erasure done = eraser.run(eraser.start(request()).erasureId());

        assertThat(done.removed().months()).contains(old.getYear() * 100 + old.getMonthValue());
        assertThat(clickHouse.query("SELECT user_id AS u, sum(events) AS n FROM llm_usage_daily GROUP BY u"))
                .singleElement().satisfies(r -> {
                    assertThat(r.string("u")).isEqualTo("u-old");
                    assertThat(r.int64("n")).isEqualTo(3);
                });
    }

    // ---- fixtures -------------------------------------------------------------------------------------------

    private Eraser.Request request() {
        return new Eraser.Request(USER, null, "gdpr request 17", "test");
    }

    /**
     * The user in every store: 20 events written over two months and another user's 30; a reprice run; two
     * dead-lettered (one replayed, one left); 5 sealed and not written; 3 not sealed.
     */
    private void populate() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        for (int i = 0; i < 20; i++) {
            theirs.add(TestEvents.event().userId(USER).eventTime(now.minus(Duration.ofHours(40L * i + 1))).build());
        }
        for (int i = 0; i < 30; i++) {
            others.add(TestEvents.event().userId("u-" + (i % 3)).eventTime(now.minus(Duration.ofHours(27L * i + 1)))
                    .promptTokens(1_000 + i).build());
        }
        record(theirs, others);
        writeAll();
        // Two of theirs are refused by ClickHouse (a rule the writer does not know), dead-lettered.
        refuseModel(clickHouse, "poison");
        List<UsageEvent> poison = List.of(TestEvents.event().userId(USER).model("poison").build(),
                TestEvents.event().userId(USER).model("poison").eventTime(now.minus(Duration.ofDays(33))).build());
        List<UsageEvent> othersLater = List.of(TestEvents.event().userId("u-1").build());
        record(poison, othersLater);
        writeAll();
        acceptEveryModel(clickHouse);
        new DeadLetters(postgres.dataSource(), clickHouse, new FixedRatePricer(), InstantSource.system())
                .replay(poison.getFirst().eventId(), "test");
        theirs.addAll(poison);
        others.addAll(othersLater);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        repricer.run(repricer.start(new RepriceRequest(today.minusDays(40), today, List.of(), false, null, "test",
                "test")).runId(), n -> { });
        // Sealed, not written yet: theirs and another's in one batch; then theirs not even sealed.
        List<UsageEvent> sealed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sealed.add(TestEvents.event().userId(USER).build());
        }
        List<UsageEvent> othersPending = List.of(TestEvents.event().userId("u-2").build());
        record(sealed, othersPending);
        pipeline.writer.sealReady();
        List<UsageEvent> unsealed = List.of(TestEvents.event().userId(USER).build(), TestEvents.event().userId(USER)
                .build(), TestEvents.event().userId(USER).build());
        record(unsealed);
        theirs.addAll(sealed);
        theirs.addAll(unsealed);
        others.addAll(othersPending);
    }

    @SafeVarargs
    private void record(List<UsageEvent>... lists) {
        List<UsageEvent> all = new ArrayList<>();
        for (List<UsageEvent> l : lists) {
            all.addAll(l);
        }
        assertThat(pipeline.recorder.record(all)).extracting(RecordResult::status)
                .containsOnly(RecordResult.Status.ACCEPTED);
    }

    private void writeAll() {
        pipeline.writer.sealReady();
        for (long id : longs("SELECT batch_id FROM usage_batch WHERE written_at IS NULL ORDER BY batch_id")) {
            pipeline.writer.job().run(new UsageWriteRequestV1(id));
        }
    }

    /** The user's rows: in llm_usage, llm_usage_adjustment, every rollup (events), PostgreSQL (staging + dead letters). */
    private List<Long> theirs() {
        Map<String, String> u = Map.of("u", USER);
        long raw = clickHouse.query("SELECT count() AS n FROM llm_usage WHERE user_id = {u:String}", u).getFirst().int64("n");
        long adj = clickHouse.query("SELECT count() AS n FROM llm_usage_adjustment WHERE user_id = {u:String}", u)
                .getFirst().int64("n");
        long rolled = 0;
        for (Rollups.Rollup r : Rollups.ALL) {
            rolled += clickHouse.query("SELECT toInt64(ifNull(sum(events), 0)) AS n FROM " + r.table()
                    + " WHERE user_id = {u:String}", u).getFirst().int64("n");
        }
        long pg = longs("SELECT count(*) FROM usage_event WHERE user_id = '" + USER + "'").getFirst()
                + longs("SELECT count(*) FROM usage_dead_letter WHERE payload->>'user_id' = '" + USER + "'").getFirst();
        return List.of(raw, adj, rolled, pg);
    }

    private BigDecimal cost(String table) {
        BigDecimal c = clickHouse.query("SELECT sum(ifNull(cost_usd, toDecimal128(0, 12))) AS c FROM " + table
                + " WHERE user_id = {u:String}", Map.of("u", USER)).getFirst().decimal("c");
        return c == null ? BigDecimal.ZERO : c;
    }

    /** Everyone else's report by user, from the rollup and from llm_usage plus adjustments, every figure. */
    private String othersTotals() {
        return totals(" WHERE user_id != {u:String}");
    }

    private String everyonesTotals() {
        return totals("");
    }

    private String totals(String where) {
        StringBuilder out = new StringBuilder();
        Reports reports = new Reports(clickHouse);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (Reports.Line l : reports.run(new Reports.Query(Reports.By.USER, today.minusDays(60), today, null, null,
                null, 1000)).lines()) {
            if (where.isEmpty() || !l.key().equals(USER)) {
                out.append(l).append('\n');
            }
        }
        for (var r : clickHouse.query("SELECT user_id, count() AS n, sum(total_tokens) AS t,"
                + " sum(ifNull(cost_usd, toDecimal128(0, 12))) AS c FROM llm_usage" + where
                + " GROUP BY user_id ORDER BY user_id", Map.of("u", USER))) {
            out.append(r.values()).append('\n');
        }
        for (var r : clickHouse.query("SELECT user_id, count() AS n, sum(cost_usd) AS c FROM llm_usage_adjustment"
                + where + " GROUP BY user_id ORDER BY user_id", Map.of("u", USER))) {
            out.append(r.values()).append('\n');
        }
        return out.toString();
    }

    private String auditRows() throws SQLException {
        StringBuilder out = new StringBuilder();
        for (String table : List.of("usage_erasure", "usage_erasure_month", "usage_erased_day", "usage_erased_event")) {
            try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT t::text FROM " + table + " t")) {
                while (rs.next()) {
                    out.append(rs.getString(1)).append('\n');
                }
            }
        }
        return out.toString();
    }

    private void assertClean() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        ReconcileReport report = pipeline.reconciler.reconcile(today.minusDays(60), today);
        assertThat(report.differences()).as("reconcile").isEmpty();
    }

    private List<Long> longs(String sql) {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            List<Long> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
