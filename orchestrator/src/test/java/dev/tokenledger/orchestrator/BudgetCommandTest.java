package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code ./tokenledger budget set|list|show|delete}: definitions in PostgreSQL, refusals naming the field. */
class BudgetCommandTest {
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static TestCli cli;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.freshDatabase("budget_cli");
        clickHouse = TestClickHouse.embedded("budget_cli");
        cli = new TestCli(TestLedger.config(Map.of()), postgres, clickHouse);
    }

    @AfterAll
    static void stop() {
        clickHouse.close();
        postgres.close();
    }

    @Test
    void aBudgetIsSetListedShownWithItsSpendReplacedAndDeleted() throws Exception {
        TestCli.Run set = cli.run("budget", "set", "team-a", "--workspace", "ws-a", "--model", "gpt-4o", "--period",
                "month", "--limit", "250.00", "--threshold", "0.9,0.5", "--soft", "--webhook",
                "https://hooks.example.com/x");
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains("created budget 'team-a'", "$250.00", "models gpt-4o* in workspace ws-a",
                "soft", "50%,90%", "https://hooks.example.com/x");

        TestCli.Run list = cli.run("budget", "list");
        assertThat(list.out()).contains("team-a", "month", "soft");
        JsonNode json = Output.JSON.readTree(cli.run("budget", "list", "--json").out());
        assertThat(json.get(0).get("limit_usd").asText()).isEqualTo("250");
        assertThat(json.get(0).get("model").asText()).isEqualTo("gpt-4o");
        assertThat(json.get(0).get("time_zone").asText()).isEqualTo("UTC");

        TestCli.Run show = cli.run("budget", "show", "team-a", "--spend");
        assertThat(show.exit()).as(show.toString()).isZero();
        assertThat(show.out()).contains("spent $0.00 of $250.00", "0 unpriced call(s)", "resets then",
                "forecast at the reset, at this period's pace so far: $0.00");
        JsonNode shown = Output.JSON.readTree(cli.run("budget", "show", "team-a", "--spend", "--json").out());
        assertThat(shown.at("/status/spend_usd").asText()).isEqualTo("0.000000000000");

        TestCli.Run replaced = cli.run("budget", "set", "team-a", "--workspace", "ws-a", "--period", "day",
                "--time-zone", "Asia/Kolkata", "--limit", "10");
        assertThat(replaced.out()).contains("replaced budget 'team-a'", "day (Asia/Kolkata)", "hard");

        assertThat(cli.run("budget", "delete", "team-a").exit()).isZero();
        assertThat(cli.run("budget", "list").out()).contains("no budgets");
        TestCli.Run again = cli.run("budget", "delete", "team-a");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("no budget named 'team-a'");
    }

    @Test
    void anInvalidBudgetIsRefusedNamingTheField() {
        TestCli.Run limit = cli.run("budget", "set", "b", "--workspace", "ws", "--period", "day", "--limit", "-1");
        assertThat(limit.exit()).isEqualTo(1);
        assertThat(limit.err()).contains("limit_usd must be a positive amount");
        TestCli.Run period = cli.run("budget", "set", "b", "--workspace", "ws", "--period", "year", "--limit", "1");
        assertThat(period.err()).contains("period must be one of day, week, month; got 'year'");
        TestCli.Run zone = cli.run("budget", "set", "b", "--workspace", "ws", "--period", "day", "--limit", "1",
                "--time-zone", "Mars/Base");
        assertThat(zone.err()).contains("time_zone is not a time zone");
        TestCli.Run both = cli.run("budget", "set", "b", "--workspace", "ws", "--period", "day", "--limit", "1",
                "--user", "u", "--agent", "a");
        assertThat(both.err()).contains("at most one of user, agent, model");
        assertThat(cli.run("budget", "list").out()).contains("no budgets");
    }
}
