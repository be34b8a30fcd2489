package dev.tokenledger.clickhouse;

import static dev.tokenledger.clickhouse.UsageEvents.TINY_PRICE;
import static dev.tokenledger.clickhouse.UsageEvents.priced;
import static dev.tokenledger.clickhouse.UsageEvents.unpriced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.UsageEvents.UsageEvent;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What tokenledger relies on from ClickHouse, checked on each backend (see the subclasses). One database
 * per class; each test uses its own workspace id so the tests do not see each other's rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClickHouseBackendContract {
    /** Event times inside the 13-month TTL, whatever the date the tests run on. */
    private static final YearMonth THIS_MONTH = YearMonth.now(ZoneOffset.UTC);
    private static final Instant THIS_MONTH_DAY_1 = THIS_MONTH.atDay(1).atTime(10, 15, 30, 123_000_000).toInstant(ZoneOffset.UTC);
    private static final Instant LAST_MONTH_LAST_DAY = THIS_MONTH.minusMonths(1).atEndOfMonth().atTime(23, 59, 59, 999_000_000).toInstant(ZoneOffset.UTC);

    private ClickHouse clickHouse;

    abstract ClickHouse open(String testName);

    abstract ClickHouse.Backend expectedBackend();

    @BeforeAll
    void openDatabase() {
        clickHouse = open(getClass().getSimpleName());
    }

    @AfterAll
    void closeDatabase() {
        if (clickHouse != null) {
            clickHouse.close();
        }
    }

    private static String newWorkspace() {
        return "ws-" + UUID.randomUUID();
    }

    /** Counts and sums over the raw table for one workspace, as ClickHouse renders them. */
    private Map<String, String> raw(String workspace) {
        return clickHouse.query("""
                SELECT count() AS events, countIf(cost_status = 'unpriced') AS unpriced_events,
                       sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
                       sum(total_tokens) AS total_tokens,
                       sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
                       sum(ifNull(cost_usd, 0)) AS cost_usd, sum(ifNull(input_cost, 0)) AS input_cost,
                       sum(ifNull(output_cost, 0)) AS output_cost
                FROM llm_usage WHERE workspace_id = {ws:String}""", Map.of("ws", workspace)).getFirst().values();
    }

    /** The same figures from the rollup, read the only correct way: sum(...) GROUP BY. */
    private Map<String, String> rollup(String workspace) {
        return clickHouse.query("""
                SELECT sum(events) AS events, sum(unpriced_events) AS unpriced_events,
                       sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
                       sum(total_tokens) AS total_tokens, sum(cache_creation_tokens) AS cache_creation_tokens,
                       sum(cost_usd) AS cost_usd, sum(input_cost) AS input_cost, sum(output_cost) AS output_cost
                FROM llm_usage_daily WHERE workspace_id = {ws:String}""", Map.of("ws", workspace)).getFirst().values();
    }

    @Test
    void theBackendIsTheOneUnderTestAndReportsItsVersion() {
        assertThat(clickHouse.backend()).isEqualTo(expectedBackend());
        assertThat(clickHouse.version()).matches("\\d+\\.\\d+\\..*");
        assertThat(clickHouse.query("SELECT currentDatabase() AS db").getFirst().string("db")).isEqualTo(clickHouse.database());
    }

    @Test
    void insertingTheSameBatchTwiceWithTheSameTokenLeavesRawAndRollupAsAfterOneInsert() {
        String ws = newWorkspace();
        InsertBatch batch = UsageEvents.batch("batch-" + ws, List.of(
                priced(ws, THIS_MONTH_DAY_1, 1, 0, TINY_PRICE, TINY_PRICE),
                priced(ws, THIS_MONTH_DAY_1.plusSeconds(1), 1_000, 250, new BigDecimal("0.0000025"), new BigDecimal("0.00001")),
                unpriced(ws, THIS_MONTH_DAY_1.plusSeconds(2), 10, 20)));

        clickHouse.insert(batch);
        Map<String, String> rawOnce = raw(ws);
        Map<String, String> rollupOnce = rollup(ws);
        clickHouse.insert(batch);

        assertThat(raw(ws)).isEqualTo(rawOnce);
        assertThat(rollup(ws)).isEqualTo(rollupOnce);
        assertThat(rawOnce).containsEntry("events", "3").containsEntry("unpriced_events", "1")
                .containsEntry("prompt_tokens", "1011").containsEntry("completion_tokens", "270")
                .containsEntry("total_tokens", "1281").containsEntry("cache_creation_tokens", "6"); // 1 (capped by its prompt of 1) + 3 + 2
        // 1 × 0.00000000013 + 1000 × 0.0000025 + 250 × 0.00001
        assertThat(new BigDecimal(rawOnce.get("cost_usd"))).isEqualByComparingTo("0.005000000130");
        assertThat(rollupOnce).isEqualTo(rawOnce);
    }

    @Test
    void theSameRowsUnderADifferentTokenAreANewInsert() {
        String ws = newWorkspace();
        List<UsageEvent> events = List.of(priced(ws, THIS_MONTH_DAY_1, 5, 5, TINY_PRICE, TINY_PRICE));

        clickHouse.insert(UsageEvents.batch("first-" + ws, events));
        clickHouse.insert(UsageEvents.batch("first-" + ws, events));
        clickHouse.insert(UsageEvents.batch("second-" + ws, events));

        assertThat(raw(ws)).containsEntry("events", "2");
        assertThat(rollup(ws)).containsEntry("events", "2").containsEntry("cost_usd", "0.0000000026");
    }

    @Test
    void aReusedTokenSilentlyDropsDifferentRowsWhichIsWhyABatchIsNeverRebuiltBetweenAttempts() {
        String ws = newWorkspace();
        clickHouse.insert(UsageEvents.batch("reused-" + ws, List.of(priced(ws, THIS_MONTH_DAY_1, 1, 1, TINY_PRICE, TINY_PRICE))));

        clickHouse.insert(UsageEvents.batch("reused-" + ws, List.of(priced(ws, THIS_MONTH_DAY_1, 9, 9, TINY_PRICE, TINY_PRICE))));

        assertThat(raw(ws)).containsEntry("events", "1").containsEntry("prompt_tokens", "1");
    }

    @Test
    void aBatchSpanningTwoMonthsIsTwoPartitionsAndARetryIsStillCountedOnce() {
        String ws = newWorkspace();
        InsertBatch batch = UsageEvents.batch("months-" + ws, List.of(
                priced(ws, LAST_MONTH_LAST_DAY, 100, 10, TINY_PRICE, TINY_PRICE),
                priced(ws, THIS_MONTH_DAY_1, 200, 20, TINY_PRICE, TINY_PRICE),
                priced(ws, THIS_MONTH_DAY_1.plusSeconds(60), 300, 30, TINY_PRICE, TINY_PRICE)));

        clickHouse.insert(batch);
        clickHouse.insert(batch);
        clickHouse.insert(batch);

        List<Row> perMonth = clickHouse.query("""
                SELECT _partition_id AS month, count() AS events, sum(prompt_tokens) AS prompt_tokens
                FROM llm_usage WHERE workspace_id = {ws:String} GROUP BY month ORDER BY month""", Map.of("ws", ws));
        assertThat(perMonth).extracting(r -> r.string("events") + "/" + r.string("prompt_tokens"))
                .containsExactly("1/100", "2/500");
        assertThat(perMonth).extracting(r -> r.string("month")).containsExactly(
                THIS_MONTH.minusMonths(1).toString().replace("-", ""), THIS_MONTH.toString().replace("-", ""));
        List<Row> perDay = clickHouse.query("""
                SELECT day, sum(events) AS events, sum(cost_usd) AS cost_usd FROM llm_usage_daily
                WHERE workspace_id = {ws:String} GROUP BY day ORDER BY day""", Map.of("ws", ws));
        assertThat(perDay).extracting(r -> r.date("day") + " " + r.string("events") + " " + r.decimal("cost_usd").toPlainString())
                .containsExactly(
                        LAST_MONTH_LAST_DAY.atZone(ZoneOffset.UTC).toLocalDate() + " 1 0.0000000143",
                        THIS_MONTH.atDay(1) + " 2 0.0000000715");
    }

    @Test
    void rawSumsEqualTheRollupToTheLastDigitPerDayAndKey() {
        String ws = newWorkspace();
        for (int b = 0; b < 5; b++) {
            clickHouse.insert(UsageEvents.batch("sums-" + b + "-" + ws, List.of(
                    priced(ws, THIS_MONTH_DAY_1.plusSeconds(b), 1, 0, TINY_PRICE, TINY_PRICE),
                    priced(ws, LAST_MONTH_LAST_DAY.minusSeconds(b), 98_765_432, 987_654, new BigDecimal("0.000000000001"), new BigDecimal("0.000075")),
                    unpriced(ws, THIS_MONTH_DAY_1.plusSeconds(100 + b), 7, 8))));
        }
        String key = "day, workspace_id, user_id, agent_id, model, provider";
        List<Row> fromRaw = clickHouse.query("SELECT toDate(event_time) AS day, workspace_id, user_id, agent_id, model, provider,"
                + " count() AS events, countIf(cost_status = 'unpriced') AS unpriced_events, sum(prompt_tokens) AS prompt_tokens,"
                + " sum(total_tokens) AS total_tokens, sum(ifNull(cost_usd, 0)) AS cost_usd, sum(ifNull(input_cost, 0)) AS input_cost,"
                + " sum(ifNull(output_cost, 0)) AS output_cost FROM llm_usage WHERE workspace_id = {ws:String}"
                + " GROUP BY " + key + " ORDER BY " + key, Map.of("ws", ws));
        List<Row> fromRollup = clickHouse.query("SELECT " + key + ", sum(events) AS events, sum(unpriced_events) AS unpriced_events,"
                + " sum(prompt_tokens) AS prompt_tokens, sum(total_tokens) AS total_tokens, sum(cost_usd) AS cost_usd,"
                + " sum(input_cost) AS input_cost, sum(output_cost) AS output_cost FROM llm_usage_daily"
                + " WHERE workspace_id = {ws:String} GROUP BY " + key + " ORDER BY " + key, Map.of("ws", ws));

        assertThat(fromRollup).extracting(Row::values).containsExactlyElementsOf(fromRaw.stream().map(Row::values).toList());
        assertThat(fromRaw).hasSize(3);
        BigDecimal total = fromRollup.stream().map(r -> r.decimal("cost_usd")).reduce(BigDecimal.ZERO, BigDecimal::add);
        // 5 × (1 × 0.00000000013) + 5 × (98765432 × 0.000000000001 + 987654 × 0.000075)
        assertThat(total).isEqualByComparingTo("370.370743827810");
    }

    @Test
    void migrationsAreIdempotent() {
        List<ClickHouseMigrations.Migration> again = new ClickHouseMigrations(clickHouse).migrate();

        assertThat(again).isEmpty();
        assertThat(clickHouse.query("SELECT version, name FROM " + ClickHouseMigrations.HISTORY_TABLE + " ORDER BY version"))
                .extracting(r -> r.string("version") + " " + r.string("name"))
                .containsExactly("1 V1__llm_usage.sql", "2 V2__llm_usage_daily.sql", "3 V3__llm_usage_checks.sql",
                        "4 V4__tokenledger_installation.sql", "5 V5__llm_usage_lookups.sql");
    }

    @Test
    void anAppliedMigrationThatWasEditedFailsNamingTheFile() {
        ClickHouseMigrations edited = new ClickHouseMigrations(clickHouse, "db/clickhouse-edited",
                getClass().getClassLoader(), Clock.systemUTC());

        assertThatThrownBy(edited::migrate)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("migration V1__llm_usage.sql was changed after it was applied to database " + clickHouse.database());
    }

    @Test
    void badSqlRaisesClickHouseExceptionWithTheEngineErrorCode() {
        assertThatThrownBy(() -> clickHouse.execute("SELEC 1"))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> {
                    assertThat(e.code()).hasValue(62); // SYNTAX_ERROR
                    assertThat(e.isRejectedByEngine()).isTrue();
                });
        assertThatThrownBy(() -> clickHouse.query("SELECT * FROM no_such_table"))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> assertThat(e.code()).hasValue(60)); // UNKNOWN_TABLE
    }

    @Test
    void rowsThatDoNotMatchTheTableAreRejectedWithACodeAndNothingIsWritten() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new RowBinaryWriter.Column("no_such_column", "UInt64")));
        w.uint64(1);

        assertThatThrownBy(() -> clickHouse.insert(new InsertBatch("llm_usage", w.toBytes(), 1, "bad-" + UUID.randomUUID())))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> assertThat(e.code()).hasValue(117)); // INCORRECT_DATA
        // Without input_format_skip_unknown_fields=0 this wrote a row of defaults (workspace_id = '').
        assertThat(clickHouse.query("SELECT count() AS n FROM llm_usage WHERE workspace_id = ''").getFirst().int64("n")).isZero();
    }

    @Test
    void parametersAreBoundByTheEngineNotSplicedIntoTheSql() {
        Row row = clickHouse.query("SELECT {s:String} AS s, {n:UInt64} + 1 AS n, {d:Date} AS d",
                Map.of("s", "it's a \\ 'quote'\ttab", "n", "41", "d", "2026-02-03")).getFirst();

        assertThat(row.string("s")).isEqualTo("it's a \\ 'quote'\ttab");
        assertThat(row.int64("n")).isEqualTo(42);
        assertThat(row.date("d")).isEqualTo(LocalDate.of(2026, 2, 3));
    }
}
