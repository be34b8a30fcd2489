package dev.tokenledger.orchestrator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * The PostgreSQL baseline's copy: ClickHouse rows read as RowBinary, written as PostgreSQL's text COPY format, read
 * back by PostgreSQL as the same values.
 */
class PostgresCopyTextTest {
    private static ClickHouse clickHouse;
    private static PostgresDatabase postgres;

    @BeforeAll
    static void start() {
        clickHouse = TestClickHouse.embedded("copy_text");
        postgres = TestPostgres.freshDatabase("copy_text");
    }

    @AfterAll
    static void stop() {
        clickHouse.close();
        postgres.close();
    }

    @Test
    void everyTypeIsWrittenExactlyWithTextEscapedAndNullAsBackslashN() {
        String text = PostgresCopyText.text(clickHouse.queryRowBinary("""
                SELECT toUUID('0b5c2d3e-4f60-4a1b-8c2d-3e4f5a6b7c8d') AS id,
                       toDateTime64('2026-01-02 03:04:05.007', 3, 'UTC') AS at,
                       toDateTime64('2026-01-02 03:04:05', 3, 'UTC') AS whole_second,
                       toDateTime64('2026-01-02 03:04:05.000001', 6, 'UTC') AS micros,
                       concat('tab', char(9), 'newline', char(10), 'cr', char(13), 'backslash', char(92), 'N',
                              char(8), char(12), char(11), 'é') AS s,
                       CAST(NULL AS Nullable(UUID)) AS no_id,
                       toLowCardinality('gpt-4o') AS model,
                       toUInt64('18446744073709551615') AS big,
                       toUInt32(4294967295) AS u32,
                       toInt64(-42) AS i64,
                       CAST('0.000000000130' AS Decimal(38, 12)) AS cost,
                       CAST('12345678901234567890.5' AS Nullable(Decimal(38, 12))) AS large_cost,
                       CAST(NULL AS Nullable(Decimal(38, 12))) AS no_cost,
                       CAST('unpriced' AS Enum8('priced' = 1, 'unpriced' = 2)) AS status,
                       toDate('2026-01-02') AS day,
                       true AS flag,
                       '' AS empty""", Map.of()));
        assertThat(text).isEqualTo(String.join("\t", "0b5c2d3e-4f60-4a1b-8c2d-3e4f5a6b7c8d",
                "2026-01-02 03:04:05.007+00", "2026-01-02 03:04:05+00", "2026-01-02 03:04:05.000001+00",
                "tab\\tnewline\\ncr\\rbackslash\\\\N\\b\\f\\vé", "\\N", "gpt-4o", "18446744073709551615",
                "4294967295", "-42", "0.00000000013", "12345678901234567890.5", "\\N", "unpriced", "2026-01-02",
                "true", "") + "\n");
    }

    @Test
    void aTypeWithoutAnExactTextIsRefused() {
        assertThatThrownBy(() -> PostgresCopyText.text(clickHouse.queryRowBinary("SELECT toFloat64(1.5) AS f")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'f'").hasMessageContaining("Float64");
    }

    @Test
    void theBaselineCopiesEveryRowOfADayWithTheSameValuesAsClickHouseHolds() throws SQLException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        clickHouse.execute(QueriesScenario.generate(0, 20_000, now));
        // Text that needs escaping, and an event without conversation and cost, on the day copied.
        Row busiest = clickHouse.query("SELECT toDate(event_time) AS d, count() AS n FROM llm_usage GROUP BY d"
                + " ORDER BY n DESC, d LIMIT 1").getFirst();
        LocalDate day = busiest.date("d");
        clickHouse.execute("INSERT INTO llm_usage (event_id, event_time, user_id, workspace_id, conversation_id,"
                + " message_id, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_status) VALUES"
                + " (generateUUIDv4(), toDateTime64('" + day + " 12:00:00.001', 3, 'UTC'),"
                + " concat('user', char(9), 'x'), concat('ws', char(10), char(92), 'N'), NULL, concat(char(92), '.'),"
                + " 'unknown-model', 1, 2, 3, NULL, 'unpriced')");
        long expected = clickHouse.query("SELECT count() AS n FROM llm_usage WHERE toDate(event_time) = {d:Date}",
                Map.of("d", day.toString())).getFirst().int64("n");
        // Text renderings of every column, in ClickHouse and in PostgreSQL, a line per row (compared sorted).
        List<String> inClickHouse = new ArrayList<>();
        String counts = "prompt_tokens, completion_tokens, total_tokens, tool_use_prompt_tokens, thoughts_tokens,"
                + " cached_tokens, cache_creation_tokens, cache_creation_1h_tokens, audio_prompt_tokens,"
                + " audio_completion_tokens, call_sequence";
        for (Row r : clickHouse.query("SELECT toString(event_id) AS id, toString(event_time) AS t, user_id,"
                + " workspace_id, ifNull(toString(conversation_id), 'null') AS conversation, message_id, agent_id,"
                + " agent_db_id, model, provider, arrayStringConcat(arrayMap(x -> toString(x), [" + counts + "]), ' ')"
                + " AS counts, turn_id, session_id, service_tier, toString(cost_usd) AS cost,"
                + " toString(cost_status) AS status FROM llm_usage WHERE toDate(event_time) = {d:Date}",
                Map.of("d", day.toString()))) {
            String cost = r.string("cost");
            inClickHouse.add(String.join("|", r.string("id"), r.string("t"), r.string("user_id"),
                    r.string("workspace_id"), r.string("conversation"), r.string("message_id"), r.string("agent_id"),
                    r.string("agent_db_id"), r.string("model"), r.string("provider"), r.string("counts"),
                    r.string("turn_id"), r.string("session_id"), r.string("service_tier"),
                    cost == null ? "null" : new BigDecimal(cost).stripTrailingZeros().toPlainString(),
                    r.string("status")));
        }

        List<String> inPostgres = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("SET timezone = 'UTC'");
            st.execute(QueriesScenario.BASELINE_TABLE);
            assertThat(QueriesScenario.copyDay(clickHouse, c.unwrap(PGConnection.class), day)).isEqualTo(expected);
            try (ResultSet rs = st.executeQuery("SELECT event_id::text AS id,"
                    + " to_char(event_time, 'YYYY-MM-DD HH24:MI:SS.MS') AS t, user_id, workspace_id,"
                    + " coalesce(conversation_id::text, 'null') AS conversation, message_id, agent_id, agent_db_id,"
                    + " model, provider, concat_ws(' ', " + counts + ") AS counts, turn_id, session_id, service_tier,"
                    + " cost_usd, cost_status FROM bench_usage")) {
                while (rs.next()) {
                    BigDecimal cost = rs.getBigDecimal("cost_usd");
                    inPostgres.add(String.join("|", rs.getString("id"), rs.getString("t"), rs.getString("user_id"),
                            rs.getString("workspace_id"), rs.getString("conversation"), rs.getString("message_id"),
                            rs.getString("agent_id"), rs.getString("agent_db_id"), rs.getString("model"),
                            rs.getString("provider"), rs.getString("counts"), rs.getString("turn_id"),
                            rs.getString("session_id"), rs.getString("service_tier"),
                            cost == null ? "null" : cost.stripTrailingZeros().toPlainString(),
                            rs.getString("cost_status")));
                }
            }
        }
        Collections.sort(inClickHouse);
        Collections.sort(inPostgres);
        assertThat(inPostgres).hasSize((int) expected).isEqualTo(inClickHouse);
        assertThat(inPostgres).anyMatch(l -> l.contains("user\tx|ws\n\\N|null|\\.|"));
    }
}
