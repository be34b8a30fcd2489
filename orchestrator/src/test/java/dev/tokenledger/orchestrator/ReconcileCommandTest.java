package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.TestEvents;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tokenledger reconcile} on a ledger that wrote real events into an embedded ClickHouse: the JSON a
 * script reads, the differences named by day, table and column, and {@code --repair} rebuilding a rollup month.
 */
class ReconcileCommandTest {
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static Ledger ledger;
    private static TestCli cli;

    @BeforeAll
    static void start() throws Exception {
        postgres = TestPostgres.freshDatabase("reconcile_cli");
        clickHouse = TestClickHouse.embedded("reconcile_cli");
        LedgerConfig config = TestLedger.config(Map.of());
        ledger = TestLedger.open(config, Ledger.Mode.WORKER, postgres, clickHouse);
        ledger.recorder().record(TestEvents.events(25));
        DemoData.awaitWritten(ledger, Duration.ofSeconds(60));
        cli = new TestCli(config, postgres, clickHouse);
    }

    @AfterAll
    static void stop() {
        if (ledger != null) {
            ledger.close();
        }
        clickHouse.close();
        postgres.close();
    }

    @Test
    void aLedgerWhereEverythingAgreesIsCleanExits0AndPrintsMoneyAsExactStringsInJson() throws Exception {
        TestCli.Run run = cli.run("reconcile", "--json");

        assertThat(run.exit()).as(run.toString()).isZero();
        JsonNode report = Output.JSON.readTree(run.out());
        assertThat(report.get("clean").asBoolean()).isTrue();
        assertThat(report.get("pending").asLong()).isZero();
        assertThat(report.get("unresolved_dead_letters").asLong()).isZero();
        assertThat(report.get("late_duplicates").asLong()).isZero();
        assertThat(report.get("differences")).isEmpty();
        assertThat(report.has("repairs")).as("only with --repair").isFalse();

        JsonNode day = report.get("days").get(report.get("days").size() - 1);
        assertThat(day.get("ok").asBoolean()).isTrue();
        assertThat(day.at("/accounting/accepted").asLong()).isEqualTo(25);
        assertThat(day.at("/accounting/written").asLong()).isEqualTo(25);
        assertThat(day.at("/accounting/balanced").asBoolean()).isTrue();
        assertThat(day.get("totals").properties()).extracting(Map.Entry::getKey)
                .containsExactly("written_pg", "llm_usage", "adjusted_pg", "llm_usage_adjustment", "llm_usage_daily");
        for (String source : List.of("written_pg", "llm_usage", "llm_usage_daily")) {
            JsonNode totals = day.get("totals").get(source);
            assertThat(totals.get("events").isIntegralNumber()).isTrue();
            assertThat(totals.get("events").asLong()).isEqualTo(25);
            assertThat(totals.get("total_tokens").isIntegralNumber()).isTrue();
            assertThat(totals.get("cost_usd").isTextual()).as("money is an exact decimal string").isTrue();
            assertThat(totals.get("cost_usd").asText()).matches("\\d+\\.\\d{12}");
            assertThat(totals.get("output_cost").asText()).matches("\\d+\\.\\d{12}");
        }
        assertThat(day.at("/totals/llm_usage/cost_usd").asText()).isEqualTo(day.at("/totals/written_pg/cost_usd").asText());
        for (String source : List.of("adjusted_pg", "llm_usage_adjustment")) {
            JsonNode totals = day.get("totals").get(source);
            assertThat(totals.properties()).extracting(Map.Entry::getKey).as("what a correction moves")
                    .containsExactly("unpriced_events", "cost_usd", "input_cost", "cached_input_cost",
                            "cache_creation_cost", "output_cost", "reasoning_cost", "audio_cost", "tool_use_cost",
                            "image_cost", "web_search_cost", "seconds_cost");
            assertThat(totals.get("cost_usd").asText()).isEqualTo("0.000000000000");
        }
    }

    @Test
    void anAdjustmentPostgresqlHasNoRecordOfIsADifferenceOnLlmUsageAdjustmentNamedLikeTheOthers() throws Exception {
        // Last month, where no other test of this class looks (nor repairs): a correction no reprice run recorded.
        LocalDate day = LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1).minusMonths(1).withDayOfMonth(15);
        clickHouse.execute("INSERT INTO llm_usage_adjustment (event_id, event_time, workspace_id, user_id, model,"
                + " unpriced_delta, cost_usd, output_cost, cost_status, run_id, adjusted_at) VALUES ('"
                + UUID.randomUUID() + "', '" + day + " 10:00:00.000', 'ws-stray', 'u', 'gpt-4o', 0, 0.000000000125,"
                + " 0.000000000125, 'priced', 999, now64(3))");

        TestCli.Run json = cli.run("reconcile", "--from", day.toString(), "--to", day.toString(), "--json");
        assertThat(json.exit()).as(json.toString()).isEqualTo(1);
        JsonNode report = Output.JSON.readTree(json.out());
        assertThat(report.get("differences")).extracting(d -> d.get("table").asText() + "." + d.get("column").asText()
                        + " " + d.get("expected").asText() + " " + d.get("actual").asText())
                .containsExactlyInAnyOrder("llm_usage_adjustment.cost_usd 0.000000000000 0.000000000125",
                        "llm_usage_adjustment.output_cost 0.000000000000 0.000000000125");

        TestCli.Run human = cli.run("reconcile", "--from", day.toString(), "--to", day.toString());
        assertThat(human.exit()).isEqualTo(1);
        assertThat(human.out()).contains("2 difference(s):", "adjusted (pg)", "+0.000000000125",
                "llm_usage_adjustment disagrees with what PostgreSQL recorded of reprice runs");
    }

    @Test
    void aRollupThatDisagreesWithLlmUsageIsNamedByDayTableAndColumnAndRepairRebuildsItsMonth() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        // A row llm_usage does not hold: what a rollup looks like after a crash inside its own commit window.
        clickHouse.execute("INSERT INTO llm_usage_daily (day, workspace_id, user_id, events, total_tokens, cost_usd)"
                + " VALUES ('" + today + "', 'stray-" + UUID.randomUUID() + "', 'u', 1, 7, 0.000000000001)");

        TestCli.Run json = cli.run("reconcile", "--json");
        assertThat(json.exit()).as(json.toString()).isEqualTo(1);
        JsonNode report = Output.JSON.readTree(json.out());
        assertThat(report.get("clean").asBoolean()).isFalse();
        assertThat(report.get("differences")).extracting(d -> d.get("day").asText() + " " + d.get("table").asText()
                        + "." + d.get("column").asText())
                .containsExactlyInAnyOrder(today + " llm_usage_daily.events", today + " llm_usage_daily.total_tokens",
                        today + " llm_usage_daily.cost_usd");
        JsonNode events = difference(report, "events");
        assertThat(events.get("expected").asText()).isEqualTo("25");
        assertThat(events.get("actual").asText()).isEqualTo("26");
        JsonNode cost = difference(report, "cost_usd");
        assertThat(cost.get("expected").asText()).matches("\\d+\\.\\d{12}");
        assertThat(new java.math.BigDecimal(cost.get("actual").asText())
                .subtract(new java.math.BigDecimal(cost.get("expected").asText())))
                .isEqualByComparingTo("0.000000000001");

        TestCli.Run human = cli.run("reconcile");
        assertThat(human.exit()).isEqualTo(1);
        assertThat(human.out()).contains("DIFFERENT", "3 difference(s):", "llm_usage_daily", "NOT clean",
                "./tokenledger reconcile --repair");

        TestCli.Run repair = cli.run("reconcile", "--repair");
        assertThat(repair.exit()).as(repair.toString()).isZero();
        String month = String.format("%04d-%02d", today.getYear(), today.getMonthValue());
        assertThat(repair.out()).contains(month + ": rebuilt llm_usage_daily (3 rollup difference(s) before, 0 after)",
                "after the repair:", "clean: every accepted event is accounted for");
        assertThat(cli.run("reconcile").exit()).isZero();
        assertThat(query("SELECT requested_by || ' ' || rollup_table || ' ' || outcome FROM usage_rollup_repair"))
                .isEqualTo("cli llm_usage_daily rebuilt");
    }

    @Test
    void repairWithNothingToRebuildSaysSoAndChangesNothing() throws Exception {
        TestCli.Run repair = cli.run("reconcile", "--repair", "--json");

        assertThat(repair.exit()).as(repair.toString()).isZero();
        JsonNode report = Output.JSON.readTree(repair.out());
        assertThat(report.get("clean").asBoolean()).isTrue();
        assertThat(report.get("repairs")).isEmpty();
    }

    @Test
    void fromAfterToIsAUsageError() {
        TestCli.Run run = cli.run("reconcile", "--from", "2026-03-02", "--to", "2026-03-01");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--from (2026-03-02) is after --to (2026-03-01)");
    }

    private static JsonNode difference(JsonNode report, String column) {
        for (JsonNode d : report.get("differences")) {
            if (d.get("column").asText().equals(column)) {
                return d;
            }
        }
        throw new AssertionError("no difference on " + column + " in " + report);
    }

    private static String query(String sql) throws Exception {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            String value = rs.getString(1);
            assertThat(rs.next()).as("one row: " + sql).isFalse();
            return value;
        }
    }
}
