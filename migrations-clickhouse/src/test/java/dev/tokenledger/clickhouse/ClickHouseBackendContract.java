package dev.tokenledger.clickhouse;

import static dev.tokenledger.clickhouse.UsageEvents.TINY_PRICE;
import static dev.tokenledger.clickhouse.UsageEvents.priced;
import static dev.tokenledger.clickhouse.UsageEvents.unpriced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import dev.tokenledger.clickhouse.UsageEvents.UsageEvent;
import java.math.BigDecimal;
import java.math.BigInteger;
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
    void theProbeKeepsExactlyLlmUsagesColumnsAndRulesAfterEveryMigration() {
        String columns = "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '%s'"
                + " ORDER BY position";
        assertThat(clickHouse.query(columns.formatted("llm_usage_probe")))
                .extracting(r -> r.string("name") + " " + r.string("type"))
                .containsExactlyElementsOf(clickHouse.query(columns.formatted("llm_usage")).stream()
                        .map(r -> r.string("name") + " " + r.string("type")).toList());
        String create = "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = '%s'";
        String usage = clickHouse.query(create.formatted("llm_usage")).getFirst().string("create_table_query");
        String probe = clickHouse.query(create.formatted("llm_usage_probe")).getFirst().string("create_table_query");
        assertThat(constraints(probe)).isEqualTo(constraints(usage)).isNotEmpty();
    }

    private static List<String> constraints(String createTableQuery) {
        return java.util.regex.Pattern.compile("CONSTRAINT (\\w+) CHECK").matcher(createTableQuery).results()
                .map(m -> m.group(1)).sorted().toList();
    }

    @Test
    void migrationsAreIdempotent() {
        List<ClickHouseMigrations.Migration> again = new ClickHouseMigrations(clickHouse).migrate();

        assertThat(again).isEmpty();
        assertThat(clickHouse.query("SELECT version, name FROM " + ClickHouseMigrations.HISTORY_TABLE + " ORDER BY version"))
                .extracting(r -> r.string("version") + " " + r.string("name"))
                .containsExactly("1 V1__llm_usage.sql", "2 V2__llm_usage_daily.sql", "3 V3__llm_usage_checks.sql",
                        "4 V4__tokenledger_installation.sql", "5 V5__llm_usage_lookups.sql",
                        "6 V6__llm_usage_adjustment.sql", "7 V7__pricing_basis.sql", "8 V8__billed_extras.sql",
                        "9 V9__llm_usage_daily_projections.sql");
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

    // ---- queryRowBinary ---------------------------------------------------------------------------------

    private static final String EVERY_TYPE = """
            id UInt32, i8 Int8, u8 UInt8, b Bool, i16 Int16, u16 UInt16, i32 Int32, u32 UInt32, i64 Int64, u64 UInt64,
            nu64 Nullable(UInt64), f32 Float32, f64 Float64,
            s String, lc LowCardinality(String), lcn LowCardinality(Nullable(String)), fs FixedString(4),
            u UUID, nu Nullable(UUID),
            t DateTime64(3, 'UTC'), nt Nullable(DateTime64(3, 'UTC')), t6 DateTime64(6, 'Asia/Tokyo'), dt DateTime('UTC'),
            day Date, d32 Date32,
            dec9 Decimal(9, 2), dec18 Decimal(18, 6), d Decimal(38, 12), nd Nullable(Decimal(38, 12)), d76 Decimal(76, 20),
            e Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3), ne Nullable(Enum8('a' = -128, 'b\\'s' = 127)),
            e16 Enum16('low' = -1000, 'high' = 1000)""";
    private static final String UNICODE = "ünï 日本 🎉 tab\t nl\n quote' backslash\\ nul\0";
    private static final String D76 = "-12345678901234567890123456789012345678901234567890123456.12345678901234567890";

    @Test
    void rowBinaryReadsEveryTypeExactlyNullsAndExtremesIncluded() {
        clickHouse.execute("CREATE TABLE IF NOT EXISTS every_type (" + EVERY_TYPE + ") ENGINE = MergeTree ORDER BY id");
        clickHouse.execute("TRUNCATE TABLE every_type");
        clickHouse.execute("""
                INSERT INTO every_type SETTINGS async_insert = 0 VALUES
                (1, 127, 255, true, 32767, 65535, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
                 NULL, 1.5, -0.1,
                 'ünï 日本 🎉 tab\\t nl\\n quote\\' backslash\\\\ nul\\0', 'gpt-4o', 'gpt-4o', 'ab',
                 '01234567-89ab-cdef-0fed-cba987654321', '01234567-89ab-cdef-0fed-cba987654321',
                 '2026-11-27 13:45:01.234', '1969-12-31 23:59:59.999', '2026-01-01 00:00:00.123456', '2106-02-07 06:28:15',
                 '2149-06-06', '1900-01-01',
                 -9999999.99, 123456789012.345678, 99999999999999999999999999.999999999999, 0.000000000001,
                 -12345678901234567890123456789012345678901234567890123456.12345678901234567890,
                 'override', 'b\\'s', 'high'),
                (2, -128, 0, false, -32768, 0, -2147483648, 0, -9223372036854775808, 0,
                 0, -2.5, 1e300,
                 '', 'gpt-4o', NULL, 'abcd',
                 '00000000-0000-0000-0000-000000000000', NULL,
                 '1969-12-31 23:59:59.999', NULL, '1900-01-01 09:00:00.000001', '1970-01-01 00:00:00',
                 '1970-01-01', '2299-12-31',
                 0.01, -0.000001, -99999999999999999999999999.999999999999, NULL, 0,
                 'priced', NULL, 'low'),
                (3, 0, 1, true, 0, 1, 0, 1, 0, 9223372036854775807,
                 42, 0, 0,
                 'x', 'claude', 'claude', 'abc',
                 'ffffffff-ffff-ffff-ffff-ffffffffffff', '00000000-0000-0000-0000-000000000001',
                 '1970-01-01 00:00:00.000', '2026-01-01 00:00:00.001', '1970-01-01 09:00:00', '2026-01-01 00:00:00',
                 '2026-02-03', '1969-12-31',
                 0, 0, 18446744073709551616.000000000001, -0.000000000130, 1,
                 'unpriced', 'a', 'low')""");

        RowBinaryResult r = clickHouse.queryRowBinary("SELECT * FROM every_type ORDER BY id");

        assertThat(r.rowCount()).isEqualTo(3);
        assertThat(r.columns()).extracting(Column::type).containsExactly(
                "UInt32", "Int8", "UInt8", "Bool", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64",
                "Nullable(UInt64)", "Float32", "Float64",
                "String", "LowCardinality(String)", "LowCardinality(Nullable(String))", "FixedString(4)",
                "UUID", "Nullable(UUID)",
                "DateTime64(3, 'UTC')", "Nullable(DateTime64(3, 'UTC'))", "DateTime64(6, 'Asia/Tokyo')", "DateTime('UTC')",
                "Date", "Date32",
                "Decimal(9, 2)", "Decimal(18, 6)", "Decimal(38, 12)", "Nullable(Decimal(38, 12))", "Decimal(76, 20)",
                "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)", "Nullable(Enum8('a' = -128, 'b\\'s' = 127))",
                "Enum16('low' = -1000, 'high' = 1000)");
        int i8 = r.column("i8"), u8 = r.column("u8"), b = r.column("b"), i16 = r.column("i16"), u16 = r.column("u16"),
                i32 = r.column("i32"), u32 = r.column("u32"), i64 = r.column("i64"), u64 = r.column("u64"),
                nu64 = r.column("nu64"), f32 = r.column("f32"), f64 = r.column("f64"), s = r.column("s"), lc = r.column("lc"),
                lcn = r.column("lcn"), fs = r.column("fs"), u = r.column("u"), nu = r.column("nu"), t = r.column("t"),
                nt = r.column("nt"), t6 = r.column("t6"), dt = r.column("dt"), day = r.column("day"), d32 = r.column("d32"),
                dec9 = r.column("dec9"), dec18 = r.column("dec18"), d = r.column("d"), nd = r.column("nd"),
                d76 = r.column("d76"), e = r.column("e"), ne = r.column("ne"), e16 = r.column("e16");
        UUID uuid = UUID.fromString("01234567-89ab-cdef-0fed-cba987654321");

        assertThat(r.next()).isTrue();
        assertThat(List.of(r.int8(i8), r.uint8(u8), r.int16(i16), r.uint16(u16), r.int32(i32)))
                .containsExactly(127, 255, 32767, 65535, Integer.MAX_VALUE);
        assertThat(r.bool(b)).isTrue();
        assertThat(List.of(r.uint32(u32), r.int64(i64))).containsExactly(4294967295L, Long.MAX_VALUE);
        assertThat(Long.toUnsignedString(r.uint64Bits(u64))).isEqualTo("18446744073709551615");
        assertThatThrownBy(() -> r.uint64(u64)).isInstanceOf(ArithmeticException.class);
        assertThat(r.isNull(nu64)).isTrue();
        assertThat(r.float32(f32)).isEqualTo(1.5f);
        assertThat(r.float64(f64)).isEqualTo(-0.1);
        assertThat(r.string(s)).isEqualTo(UNICODE);
        assertThat(r.string(lc)).isEqualTo("gpt-4o");
        assertThat(r.string(lcn)).isEqualTo("gpt-4o");
        assertThat(r.string(fs)).isEqualTo("ab\0\0");
        assertThat(r.uuid(u)).isEqualTo(uuid);
        assertThat(r.uuid(nu)).isEqualTo(uuid);
        assertThat(r.instant(t)).isEqualTo(Instant.parse("2026-11-27T13:45:01.234Z"));
        assertThat(r.instant(nt)).isEqualTo(Instant.parse("1969-12-31T23:59:59.999Z"));
        assertThat(r.instant(t6)).isEqualTo(Instant.parse("2025-12-31T15:00:00.123456Z")); // written in Tokyo time
        assertThat(r.instant(dt)).isEqualTo(Instant.parse("2106-02-07T06:28:15Z"));
        assertThat(r.date(day)).isEqualTo(LocalDate.of(2149, 6, 6));
        assertThat(r.date(d32)).isEqualTo(LocalDate.of(1900, 1, 1));
        assertThat(r.decimal(dec9)).isEqualTo(new BigDecimal("-9999999.99"));
        assertThat(r.decimal(dec18)).isEqualTo(new BigDecimal("123456789012.345678"));
        assertThat(r.decimal(d)).isEqualTo(new BigDecimal("99999999999999999999999999.999999999999"));
        assertThat(r.decimal(nd)).isEqualTo(new BigDecimal("0.000000000001"));
        assertThat(r.decimal(d76)).isEqualTo(new BigDecimal(D76));
        assertThat(r.enum8(e)).isEqualTo(3);
        assertThat(r.enumName(e)).isEqualTo("override");
        assertThat(r.enumName(ne)).isEqualTo("b's");
        assertThat(r.enum8(ne)).isEqualTo(127);
        assertThat(r.enumName(e16)).isEqualTo("high");
        String gpt = r.string(lc);

        assertThat(r.next()).isTrue();
        assertThat(List.of(r.int8(i8), r.uint8(u8), r.int16(i16), r.uint16(u16), r.int32(i32)))
                .containsExactly(-128, 0, -32768, 0, Integer.MIN_VALUE);
        assertThat(r.bool(b)).isFalse();
        assertThat(List.of(r.uint32(u32), r.int64(i64), r.uint64(u64), r.uint64(nu64))).containsExactly(0L, Long.MIN_VALUE, 0L, 0L);
        assertThat(r.float32(f32)).isEqualTo(-2.5f);
        assertThat(r.float64(f64)).isEqualTo(1e300);
        assertThat(r.string(s)).isEmpty();
        assertThat(r.string(lc)).isSameAs(gpt);
        assertThat(r.isNull(lcn)).isTrue();
        assertThat(r.string(lcn)).isNull();
        assertThat(r.string(fs)).isEqualTo("abcd");
        assertThat(r.uuid(u)).isEqualTo(new UUID(0, 0));
        assertThat(r.uuid(nu)).isNull();
        assertThat(r.instant(t)).isEqualTo(Instant.parse("1969-12-31T23:59:59.999Z"));
        assertThat(r.epochMilli(t)).isEqualTo(-1);
        assertThat(r.instant(nt)).isNull();
        assertThat(r.instant(t6)).isEqualTo(Instant.parse("1900-01-01T00:00:00.000001Z"));
        assertThat(r.instant(dt)).isEqualTo(Instant.EPOCH);
        assertThat(r.date(day)).isEqualTo(LocalDate.EPOCH);
        assertThat(r.date(d32)).isEqualTo(LocalDate.of(2299, 12, 31));
        assertThat(r.decimal(dec9)).isEqualTo(new BigDecimal("0.01"));
        assertThat(r.decimal(dec18)).isEqualTo(new BigDecimal("-0.000001"));
        assertThat(r.decimal(d)).isEqualTo(new BigDecimal("-99999999999999999999999999.999999999999"));
        assertThat(r.decimal(nd)).isNull();
        assertThat(r.decimal(d76)).isEqualTo(new BigDecimal(BigInteger.ZERO, 20));
        assertThat(r.enumName(e)).isEqualTo("priced");
        assertThat(r.enumName(ne)).isNull();
        assertThat(r.enum16(e16)).isEqualTo(-1000);

        assertThat(r.next()).isTrue();
        assertThat(r.uint64(u64)).isEqualTo(Long.MAX_VALUE);
        assertThat(r.uint64(nu64)).isEqualTo(42);
        assertThat(r.string(lcn)).isEqualTo("claude");
        assertThat(r.string(fs)).isEqualTo("abc\0");
        assertThat(r.uuid(u)).isEqualTo(new UUID(-1, -1));
        assertThat(r.uuid(nu)).isEqualTo(new UUID(0, 1));
        assertThat(r.instant(t)).isEqualTo(Instant.EPOCH);
        assertThat(r.epochMilli(nt)).isEqualTo(Instant.parse("2026-01-01T00:00:00.001Z").toEpochMilli());
        assertThat(r.instant(t6)).isEqualTo(Instant.EPOCH);
        assertThat(r.date(d32)).isEqualTo(LocalDate.of(1969, 12, 31));
        assertThat(r.decimal(d)).isEqualTo(new BigDecimal("18446744073709551616.000000000001"));
        assertThat(r.decimal(nd)).isEqualTo(new BigDecimal("-0.000000000130"));
        assertThat(r.decimal(d76)).isEqualTo(new BigDecimal("1.00000000000000000000"));
        assertThat(r.enumName(ne)).isEqualTo("a");
        assertThat(r.enum8(ne)).isEqualTo(-128);

        assertThat(r.next()).isFalse();
    }

    @Test
    void rowBinaryReadsBackUsageRowsByteForByteAsTheWriterWroteThem() {
        String ws = newWorkspace();
        List<UsageEvent> events = List.of(
                priced(ws, THIS_MONTH_DAY_1, 1, 0, TINY_PRICE, TINY_PRICE),
                priced(ws, THIS_MONTH_DAY_1.plusSeconds(1), 98_765_432, 987_654, new BigDecimal("0.000000000001"), new BigDecimal("0.000075")),
                unpriced(ws, LAST_MONTH_LAST_DAY, 10, 20),
                priced(ws, THIS_MONTH_DAY_1.plusSeconds(3), 1_000, 250, new BigDecimal("0.0000025"), new BigDecimal("0.00001")));
        InsertBatch batch = UsageEvents.batch("read-back-" + ws, events);
        clickHouse.insert(batch);
        String columns = String.join(", ", UsageEvents.COLUMNS.stream().map(Column::name).toList());

        RowBinaryResult r = clickHouse.queryRowBinary("SELECT " + columns + " FROM llm_usage WHERE workspace_id = {ws:String}"
                + " ORDER BY call_sequence", Map.of("ws", ws));

        assertThat(r.columns()).isEqualTo(UsageEvents.COLUMNS); // the same names and, to the space, the same types
        assertThat(r.rowCount()).isEqualTo(events.size());
        RowBinaryWriter again = new RowBinaryWriter(r.columns());
        int eventId = r.column("event_id"), eventTime = r.column("event_time"), conversation = r.column("conversation_id"),
                model = r.column("model"), prompt = r.column("prompt_tokens"), completion = r.column("completion_tokens"),
                total = r.column("total_tokens"), cacheCreation = r.column("cache_creation_tokens"),
                input = r.column("input_cost"), output = r.column("output_cost"), cost = r.column("cost_usd"),
                status = r.column("cost_status");
        for (UsageEvent event : events) {
            assertThat(r.next()).isTrue();
            assertThat(r.uuid(eventId)).isEqualTo(event.eventId());
            assertThat(r.instant(eventTime)).isEqualTo(event.eventTime());
            assertThat(r.uuid(conversation)).isEqualTo(r.row() % 2 == 1 ? null : event.eventId());
            assertThat(r.string(model)).isEqualTo(event.model());
            assertThat(List.of(r.uint64(prompt), r.uint64(completion), r.uint64(total), r.uint64(cacheCreation)))
                    .containsExactly(event.promptTokens(), event.completionTokens(), event.totalTokens(), event.storedCacheCreation5m());
            assertThat(r.decimal(input)).isEqualTo(event.inputCost()); // equals, so at the same scale too
            assertThat(r.decimal(output)).isEqualTo(event.outputCost());
            assertThat(r.decimal(cost)).isEqualTo(event.costUsd());
            assertThat(r.enumName(status)).isEqualTo(event.priced() ? "priced" : "unpriced");
            copyRow(r, again);
        }
        assertThat(r.next()).isFalse();
        assertThat(again.toBytes()).isEqualTo(batch.rowBinary());
    }

    /** Writes the current row again, column by column, through the writer's typed methods. */
    private static void copyRow(RowBinaryResult r, RowBinaryWriter w) {
        for (int c = 0; c < r.columnCount(); c++) {
            ColumnType type = ColumnType.parse(r.columns().get(c).name(), r.columns().get(c).type());
            if (r.isNull(c)) {
                w.nullValue();
                continue;
            }
            switch (type.kind()) {
                case UUID -> w.uuid(r.uuid(c));
                case DATETIME64 -> w.dateTime64Millis(r.instant(c));
                case STRING -> w.string(r.string(c));
                case UINT64 -> w.uint64(r.uint64(c));
                case UINT32 -> w.uint32(r.uint32(c));
                case INT64 -> w.int64(r.int64(c));
                case DECIMAL -> w.decimal128(r.decimal(c), type.scale());
                case ENUM8 -> w.enum8(r.enum8(c));
                case DATE -> w.date(r.date(c));
                default -> throw new AssertionError("llm_usage has no " + type.kind() + " column");
            }
        }
    }

    @Test
    void rowBinaryBindsParametersLikeQuery() {
        RowBinaryResult r = clickHouse.queryRowBinary("SELECT {s:String} AS s, {n:UInt64} + 1 AS n, {d:Date} AS d,"
                        + " {id:UUID} AS id, {t:DateTime64(3, 'UTC')} AS t, {c:Decimal(38, 12)} AS c",
                Map.of("s", UNICODE, "n", "41", "d", "2026-02-03", "id", "01234567-89ab-cdef-0fed-cba987654321",
                        "t", "1969-07-20 20:17:40.123", "c", "-0.000000000130"));

        assertThat(r.next()).isTrue();
        assertThat(r.string(r.column("s"))).isEqualTo(UNICODE);
        assertThat(r.uint64(r.column("n"))).isEqualTo(42);
        assertThat(r.date(r.column("d"))).isEqualTo(LocalDate.of(2026, 2, 3));
        assertThat(r.uuid(r.column("id"))).isEqualTo(UUID.fromString("01234567-89ab-cdef-0fed-cba987654321"));
        assertThat(r.instant(r.column("t"))).isEqualTo(Instant.parse("1969-07-20T20:17:40.123Z"));
        assertThat(r.decimal(r.column("c"))).isEqualTo(new BigDecimal("-0.000000000130"));
        assertThat(r.next()).isFalse();
    }

    @Test
    void rowBinaryOfAnEmptyResultIsItsHeaderAlone() {
        RowBinaryResult r = clickHouse.queryRowBinary("SELECT event_id, cost_usd, cost_status FROM llm_usage"
                + " WHERE workspace_id = {ws:String}", Map.of("ws", newWorkspace()));

        assertThat(r.columns()).containsExactly(new Column("event_id", "UUID"),
                new Column("cost_usd", "Nullable(Decimal(38, 12))"),
                new Column("cost_status", "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)"));
        assertThat(r.rowCount()).isZero();
        assertThat(r.next()).isFalse();
        assertThat(r.enumValues(2)).containsEntry(3, "override");
    }

    @Test
    void rowBinaryLargeResultsDecodeEveryRow() {
        RowBinaryResult r = clickHouse.queryRowBinary("SELECT number AS n, toString(number) AS s,"
                + " toDecimal128(number, 12) / 7 AS d FROM system.numbers LIMIT 100000");

        assertThat(r.rowCount()).isEqualTo(100_000);
        long sum = 0;
        while (r.next()) {
            long n = r.uint64(0);
            assertThat(r.string(1)).isEqualTo(Long.toString(n));
            sum += n;
        }
        assertThat(sum).isEqualTo(99_999L * 100_000 / 2);
    }

    @Test
    void rowBinaryQueryErrorsAreClickHouseExceptionsNamingTheProblem() {
        assertThatThrownBy(() -> clickHouse.queryRowBinary("SELECT * FROM no_such_table"))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> {
                    assertThat(e.code()).hasValue(60); // UNKNOWN_TABLE
                    assertThat(e).hasMessageContaining("no_such_table");
                });
        // failing while rows are being produced, not at planning time
        assertThatThrownBy(() -> clickHouse.queryRowBinary("SELECT number, throwIf(number = 70000, 'row seventy thousand is bad')"
                + " AS checked FROM system.numbers LIMIT 100000"))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> {
                    assertThat(e.code()).hasValue(395); // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
                    assertThat(e).hasMessageContaining("row seventy thousand is bad");
                });
        // No result has 0 columns: the engine refuses the query (EMPTY_LIST_OF_COLUMNS_QUERIED)
        assertThatThrownBy(() -> clickHouse.queryRowBinary("SELECT * EXCEPT dummy FROM system.one"))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> assertThat(e.code()).hasValue(51));
    }

    @Test
    void aQueryThatFailsAfterProducingRowsLeavesNothingBehindForTheNextQuery() {
        // chDB 26.7.3 used to hand the failed query's partial output to the connection's next query
        String failsLate = "SELECT number, throwIf(number = 70000, 'late failure') AS checked FROM system.numbers LIMIT 100000";
        assertThatThrownBy(() -> clickHouse.queryRowBinary(failsLate)).isInstanceOf(ClickHouseException.class);

        RowBinaryResult r = clickHouse.queryRowBinary("SELECT 'after' AS a");
        assertThat(r.columns()).containsExactly(new Column("a", "String"));
        assertThat(r.rowCount()).isEqualTo(1);

        assertThatThrownBy(() -> clickHouse.query(failsLate)).isInstanceOf(ClickHouseException.class);
        assertThat(clickHouse.query("SELECT 'after' AS a")).extracting(Row::values).containsExactly(Map.of("a", "after"));
    }

    @Test
    void rowBinaryRefusesTypesItCannotDecodeAndQueriesThatPickTheirOwnFormat() {
        assertThatThrownBy(() -> clickHouse.queryRowBinary("SELECT [1, 2] AS numbers"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("column 'numbers' has type Array(UInt8)");
        assertThatThrownBy(() -> clickHouse.queryRowBinary("SELECT 1 FORMAT TSV"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("remove 'FORMAT TSV'");
        assertThatThrownBy(() -> clickHouse.queryRowBinary("CREATE TABLE IF NOT EXISTS no_rows (a UInt8) ENGINE = Memory"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("execute()");
    }
}
