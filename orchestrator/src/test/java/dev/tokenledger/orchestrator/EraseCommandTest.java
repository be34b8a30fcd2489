package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.TestEvents;
import dev.tokenledger.usage.UsageEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code ./tokenledger erase} on a ledger that wrote real events of two users into an embedded ClickHouse. */
class EraseCommandTest {
    private static final String USER = "leaver-42";
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static TestCli cli;
    private static LedgerConfig config;
    private static final List<UsageEvent> THEIRS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        postgres = TestPostgres.freshDatabase("erase_cli");
        clickHouse = TestClickHouse.embedded("erase_cli");
        config = TestLedger.config(Map.of("TOKENLEDGER_BACK_PRICING", "false"));
        List<UsageEvent> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            UsageEvent e = TestEvents.event().userId(USER).workspaceId("ws-a").build();
            THEIRS.add(e);
            all.add(e);
            all.add(TestEvents.event().userId("stays-" + i).workspaceId("ws-a").build());
        }
        try (Ledger worker = TestLedger.open(config, Ledger.Mode.WORKER, postgres, clickHouse)) {
            worker.recorder().record(all);
            DemoData.awaitWritten(worker, Duration.ofSeconds(90));
        }
        cli = new TestCli(config, postgres, clickHouse);
    }

    @AfterAll
    static void stop() {
        clickHouse.close();
        postgres.close();
    }

    @Test
    void eraseRemovesTheUserPrintsWhatItRemovedKeepsAnAuditWithoutTheUserAndReconcileStaysClean() throws Exception {
        TestCli.Run noReason = cli.run("erase", "--user", USER);
        assertThat(noReason.exit()).as(noReason.toString()).isEqualTo(2);
        assertThat(noReason.err()).contains("--reason");

        TestCli.Run dry = cli.run("erase", "--user", USER, "--reason", "ticket 9", "--dry-run", "--json");
        assertThat(dry.exit()).as(dry.toString()).isZero();
        JsonNode d = Output.JSON.readTree(dry.out());
        assertThat(d.get("dry_run").asBoolean()).isTrue();
        assertThat(d.get("events").asLong()).isEqualTo(6);
        assertThat(count(USER)).as("a dry run changes nothing").isEqualTo(6);

        TestCli.Run run = cli.run("erase", "--user", USER, "--reason", "ticket 9", "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonNode r = Output.JSON.readTree(run.out());
        assertThat(r.get("status").asText()).isEqualTo("done");
        assertThat(r.get("removed").get("events").asLong()).isEqualTo(6);
        assertThat(r.get("removed").get("cost").asText()).isEqualTo(d.get("cost").asText());
        assertThat(count(USER)).isZero();
        assertThat(count("stays-0")).isEqualTo(1);

        TestCli.Run list = cli.run("erase", "--list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).contains("ticket 9").doesNotContain(USER);
        TestCli.Run reconcile = cli.run("reconcile");
        assertThat(reconcile.exit()).as(reconcile.toString()).isZero();

        try (Ledger ledger = TestLedger.open(config, Ledger.Mode.CLIENT, postgres, clickHouse)) {
            assertThat(ledger.recorder().record(List.of(THEIRS.getFirst()))).extracting(RecordResult::status)
                    .containsExactly(RecordResult.Status.REJECTED);
        }
        TestCli.Run again = cli.run("erase", "--user", USER, "--reason", "ticket 9 again");
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.out()).containsPattern("events \\(llm_usage\\) +0\n");
    }

    private static long count(String user) {
        return clickHouse.query("SELECT count() AS n FROM llm_usage WHERE user_id = {u:String}", Map.of("u", user))
                .getFirst().int64("n");
    }
}
