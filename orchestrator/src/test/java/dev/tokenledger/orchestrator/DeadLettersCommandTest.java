package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.DeadLetters;
import dev.tokenledger.usage.TestEvents;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tokenledger dead-letters} on dead letters made by the real usage writer: listed and shown with their
 * stored event, keeping reconcile and health from being clean until they are discarded (with a reason) or
 * replayed (once their cause is fixed); a refusal is a message and exit 1, never a stack trace.
 */
class DeadLettersCommandTest {
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static Ledger ledger;
    private static TestCli cli;

    @BeforeAll
    static void start() throws Exception {
        postgres = TestPostgres.freshDatabase("dead_letters_cli");
        clickHouse = TestClickHouse.embedded("dead_letters_cli");
        LedgerConfig config = TestLedger.config(Map.of());
        ledger = TestLedger.open(config, Ledger.Mode.WORKER, postgres, clickHouse);
        ledger.recorder().record(TestEvents.events(10));
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

    /** Each test starts with no unresolved dead letter. */
    @AfterEach
    void discardWhatIsLeft() {
        for (DeadLetters.Letter l : ledger.deadLetters().list(false, 1000)) {
            ledger.deadLetters().discard(l.eventId(), "cleaned up after a test", "test");
        }
    }

    @Test
    void anUnresolvedDeadLetterIsListedShownWithItsPayloadAndKeepsTheLedgerFromBeingCleanUntilDiscarded()
            throws Exception {
        UUID id = DeadLetterFixture.deadLetter(ledger);

        TestCli.Run list = cli.run("dead-letters", "list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).contains(id.toString(), "unresolved", "1 unresolved dead letter(s)",
                "dead-letters show EVENT_ID");
        JsonNode listed = Output.JSON.readTree(cli.run("dead-letters", "list", "--json").out());
        assertThat(listed.get("unresolved").asLong()).isEqualTo(1);
        assertThat(listed.get("dead_letters")).hasSize(1);
        assertThat(letter(listed, id).at("/payload/total_tokens").asInt())
                .as("the stored event, as a JSON object").isEqualTo(DeadLetterFixture.WRONG_TOTAL);

        TestCli.Run show = cli.run("dead-letters", "show", id.toString());
        assertThat(show.exit()).as(show.toString()).isZero();
        assertThat(show.out()).contains(id.toString(), "unresolved", "error:", "total_tokens", "payload",
                "\"total_tokens\" : " + DeadLetterFixture.WRONG_TOTAL, "\"workspace_id\" : \"ws-dead\"");
        JsonNode shown = Output.JSON.readTree(cli.run("dead-letters", "show", id.toString(), "--json").out());
        assertThat(shown.get("state").asText()).isEqualTo("unresolved");
        assertThat(shown.get("error").asText()).contains("total_tokens");
        assertThat(shown.at("/payload/prompt_tokens").asInt()).isEqualTo(10);

        TestCli.Run reconcile = cli.run("reconcile", "--json");
        assertThat(reconcile.exit()).as("an unresolved dead letter: not clean").isEqualTo(1);
        JsonNode report = Output.JSON.readTree(reconcile.out());
        assertThat(report.get("clean").asBoolean()).isFalse();
        assertThat(report.get("unresolved_dead_letters").asLong()).isEqualTo(1);
        assertThat(report.get("differences")).as("every event is accounted for: no difference").isEmpty();
        assertThat(report.at("/days/0/accounting/dead_lettered_unresolved").asLong()).isEqualTo(1);
        assertThat(cli.run("reconcile").out()).contains("1 unresolved dead letter(s)", "./tokenledger dead-letters list");
        assertThat(deadLettersCheck()).isEqualTo(new HealthChecks.Check("dead_letters", HealthChecks.Status.DEGRADED,
                "1 dead letter(s) wait for replay or discard: ./tokenledger dead-letters list"));

        TestCli.Run discard = cli.run("dead-letters", "discard", id.toString(), "--reason", "test traffic, not billable");
        assertThat(discard.exit()).as(discard.toString()).isZero();
        assertThat(discard.out()).contains("discarded " + id);

        assertThat(cli.run("dead-letters", "list").out()).contains("no unresolved dead letters");
        JsonNode all = Output.JSON.readTree(cli.run("dead-letters", "list", "--all", "--json").out());
        assertThat(all.get("unresolved").asLong()).isZero();
        JsonNode discarded = letter(all, id);
        assertThat(discarded.get("state").asText()).isEqualTo("discarded");
        assertThat(discarded.get("resolved_by").asText()).isEqualTo(System.getProperty("user.name") + "@cli");
        assertThat(discarded.get("resolution_reason").asText()).isEqualTo("test traffic, not billable");
        TestCli.Run clean = cli.run("reconcile", "--json");
        assertThat(clean.exit()).as(clean.toString()).isZero();
        assertThat(Output.JSON.readTree(clean.out()).at("/days/0/accounting/discarded").asLong()).isPositive();
        assertThat(deadLettersCheck().status()).isEqualTo(HealthChecks.Status.UP);

        TestCli.Run again = cli.run("dead-letters", "discard", id.toString(), "--reason", "twice");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("is already discarded");
    }

    @Test
    void discardWithoutAReasonFailsWithAClearMessageAndChangesNothing() {
        UUID id = DeadLetterFixture.deadLetter(ledger);

        TestCli.Run none = cli.run("dead-letters", "discard", id.toString());
        TestCli.Run blank = cli.run("dead-letters", "discard", id.toString(), "--reason", "  ");

        for (TestCli.Run run : new TestCli.Run[] {none, blank}) {
            assertThat(run.exit()).as(run.toString()).isEqualTo(2);
            assertThat(run.err()).contains("--reason TEXT is required",
                    "kept with the dead letter as the audit of why this usage was dropped");
        }
        assertThat(ledger.deadLetters().find(id)).hasValueSatisfying(l -> assertThat(l.unresolved()).isTrue());
    }

    @Test
    void anUnknownEventIdIsNamedAsUnknownAndExits1() {
        UUID unknown = UUID.randomUUID();

        for (String[] args : new String[][] {{"dead-letters", "show", unknown.toString()},
                {"dead-letters", "replay", unknown.toString()},
                {"dead-letters", "discard", unknown.toString(), "--reason", "x"}}) {
            TestCli.Run run = cli.run(args);
            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.err()).contains("no dead letter with event_id " + unknown).doesNotContain("Exception");
        }
        TestCli.Run notAnId = cli.run("dead-letters", "show", "not-a-uuid");
        assertThat(notAnId.exit()).isEqualTo(2);
        assertThat(notAnId.err()).contains("not-a-uuid");
    }

    @Test
    void aReplayIsRefusedWhileTheEventStillFailsValidationAndOnceItsPayloadIsFixedItIsWrittenOnce() throws Exception {
        UUID id = DeadLetterFixture.deadLetter(ledger);

        TestCli.Run refused = cli.run("dead-letters", "replay", id.toString());
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).contains("tokenledger dead-letters replay: dead letter " + id + " still fails validation",
                "total_tokens").doesNotContain("Exception", "\tat ");
        assertThat(ledger.deadLetters().find(id)).hasValueSatisfying(l -> assertThat(l.unresolved()).isTrue());

        AdminSqlFixture.execute(postgres, "UPDATE usage_dead_letter SET payload = jsonb_set(payload, '{total_tokens}',"
                + " '15') WHERE event_id = ?", id);
        TestCli.Run replayed = cli.run("dead-letters", "replay", id.toString());
        assertThat(replayed.exit()).as(replayed.toString()).isZero();
        assertThat(replayed.out()).contains("replayed " + id, "written into llm_usage");
        assertThat(clickHouse.query("SELECT count() AS n FROM llm_usage WHERE event_id = {id:UUID}",
                Map.of("id", id.toString())).getFirst().int64("n")).isEqualTo(1);

        TestCli.Run again = cli.run("dead-letters", "replay", id.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("is already replayed");
        TestCli.Run reconcile = cli.run("reconcile", "--json");
        assertThat(reconcile.exit()).as("the replayed event counts as written: " + reconcile).isZero();
        assertThat(Output.JSON.readTree(reconcile.out()).at("/days/0/accounting/replayed").asLong()).isEqualTo(1);
    }

    private static JsonNode letter(JsonNode list, UUID id) {
        for (JsonNode l : list.get("dead_letters")) {
            if (l.get("event_id").asText().equals(id.toString())) {
                return l;
            }
        }
        throw new AssertionError("no dead letter " + id + " in " + list);
    }

    private static HealthChecks.Check deadLettersCheck() {
        return new HealthChecks(ledger, InstantSource.system()).check().checks().stream()
                .filter(c -> c.name().equals("dead_letters")).findFirst().orElseThrow();
    }
}
